import { sql, type Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";
import type { PickBatcher } from "./pick-batcher.js";

/** What restock puts back. */
export const DEFAULT_STOCK: Readonly<Record<string, number>> = { bread: 10, cheese: 10, vegemite: 10 };

export class UnknownIngredientError extends Error {
  constructor(
    readonly ingredient: string,
    readonly wanted: number,
  ) {
    super(`unknown ingredient "${ingredient}"`);
  }
}

export class OutOfStockError extends Error {
  constructor(
    readonly ingredient: string,
    readonly wanted: number,
    readonly available: number,
  ) {
    super(`not enough ${ingredient}: wanted ${wanted}, ${available} in stock`);
  }
}

/**
 * Takes `quantity` of an ingredient if there is that much, answering what is
 * left, or undefined when nothing was taken (too little, or no such
 * ingredient). One conditional UPDATE does the check and the decrement, so
 * concurrent picks can never take more than there is.
 */
export async function takeIfEnough(db: Kysely<ChillybinDatabase>, name: string, quantity: number): Promise<number | undefined> {
  const row = await db
    .updateTable("ingredients")
    .set({ quantity: sql`quantity - ${quantity}` })
    .where("name", "=", name)
    .where("quantity", ">=", quantity)
    .returning("quantity")
    .executeTakeFirst();
  return row?.quantity;
}

/** Takes `quantity` of an ingredient, answering what is left; refuses with why when it cannot. */
async function takeStock(db: Kysely<ChillybinDatabase>, name: string, quantity: number): Promise<number> {
  const remaining = await takeIfEnough(db, name, quantity);
  if (remaining !== undefined) return remaining;
  // Nothing was taken; find out why for the caller.
  const current = await db.selectFrom("ingredients").select("quantity").where("name", "=", name).executeTakeFirst();
  if (!current) throw new UnknownIngredientError(name, quantity);
  throw new OutOfStockError(name, quantity, current.quantity);
}

/** Runs `work` in the caller's transaction when there is one, else in a new one. */
export function inTransaction<T>(db: Kysely<ChillybinDatabase>, work: (trx: Kysely<ChillybinDatabase>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/**
 * The stock of ingredients, in the database. Knows nothing of RPCs. Built on
 * a transaction, its calls join it (see IdempotentCalls).
 */
/** One item of an order: how many of which ingredient. */
export interface OrderLine {
  ingredient: string;
  quantity: number;
}

/** An order row as recorded: its id (int8, as a string, never rounded) and its item. */
export interface RecordedOrderRow extends OrderLine {
  id: string;
}

export class Stock {
  /** `batcher`: lets concurrent picks outside a transaction share statements (see PickBatcher). */
  constructor(
    private readonly db: Kysely<ChillybinDatabase>,
    private readonly batcher?: PickBatcher,
  ) {}

  /**
   * Takes `quantity` of an ingredient, answering what is left: batched with
   * concurrent picks of it when it can be, on its own inside a transaction
   * (which must see its own pick).
   */
  async pick(name: string, quantity: number): Promise<number> {
    if (this.batcher && !this.db.isTransaction) return this.batcher.pick(name, quantity);
    return takeStock(this.db, name, quantity);
  }

  /**
   * Takes stock for a customer and records the order, in one transaction:
   * when the pick is refused, no order is written.
   */
  async pickForOrder(customer: string, name: string, quantity: number): Promise<{ orderId: string; remaining: number }> {
    return inTransaction(this.db, async (trx) => {
      const remaining = await takeStock(trx, name, quantity);
      const order = await trx.insertInto("orders").values({ customer, ingredient: name, quantity }).returning("id").executeTakeFirstOrThrow();
      return { orderId: String(order.id), remaining }; // pg answers int8 as a string, PGlite as a number
    });
  }

  /**
   * Takes every item for a customer and records an order per item, with the
   * caller's reference, in one transaction: when any item is refused, nothing
   * is taken or recorded. Items are taken in name order, so concurrent orders
   * lock rows in the same order and cannot deadlock. Answers the orders in
   * the items' order.
   */
  async pickOrder(customer: string, items: ReadonlyArray<OrderLine>, reference = ""): Promise<RecordedOrderRow[]> {
    return inTransaction(this.db, async (trx) => {
      const ids = new Map<string, string>();
      for (const item of [...items].sort((a, b) => (a.ingredient < b.ingredient ? -1 : a.ingredient > b.ingredient ? 1 : 0))) {
        await takeStock(trx, item.ingredient, item.quantity);
        const order = await trx.insertInto("orders").values({ customer, ingredient: item.ingredient, quantity: item.quantity, reference }).returning("id").executeTakeFirstOrThrow();
        ids.set(item.ingredient, String(order.id));
      }
      return items.map((item) => ({ id: ids.get(item.ingredient)!, ingredient: item.ingredient, quantity: item.quantity }));
    });
  }

  /** Every ingredient with its quantity, by name. */
  async levels(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom("ingredients").select(["name", "quantity"]).orderBy("name").execute();
    return Object.fromEntries(rows.map((r) => [r.name, r.quantity]));
  }

  /** Puts the default stock back and answers the new levels. */
  async restock(): Promise<Record<string, number>> {
    const rows = Object.entries(DEFAULT_STOCK).map(([name, quantity]) => ({ name, quantity }));
    await this.db
      .insertInto("ingredients")
      .values(rows)
      .onConflict((oc) => oc.column("name").doUpdateSet({ quantity: (eb) => eb.ref("excluded.quantity") }))
      .execute();
    return this.levels();
  }
}
