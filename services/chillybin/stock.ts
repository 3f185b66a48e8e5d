import type { Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";
import type { Batchers } from "./batchers.js";
import { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";
import { takeIfEnough } from "./take-if-enough.js";
import { takeOrders, type OrderLine, type OrderRequest, type RecordedOrderRow } from "./take-orders.js";

/** What restock puts back. */
export const DEFAULT_STOCK: Readonly<Record<string, number>> = { bread: 10, cheese: 10, vegemite: 10 };

export { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";

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
export class Stock {
  /** `batchers`: let concurrent picks and orders outside a transaction share statements (PickBatcher, OrderBatcher). */
  constructor(
    private readonly db: Kysely<ChillybinDatabase>,
    private readonly batchers?: Batchers,
  ) {}

  /**
   * Takes `quantity` of an ingredient, answering what is left: batched with
   * concurrent picks of it when it can be, on its own inside a transaction
   * (which must see its own pick).
   */
  async pick(name: string, quantity: number): Promise<number> {
    if (this.batchers && !this.db.isTransaction) return this.batchers.picks.pick(name, quantity);
    return takeStock(this.db, name, quantity);
  }

  /**
   * Takes stock for a customer and records the order, in one transaction:
   * when the pick is refused, no order is written.
   */
  async pickForOrder(customer: string, name: string, quantity: number): Promise<{ orderId: string; remaining: number }> {
    const [row] = await this.takeOrder({ customer, items: [{ ingredient: name, quantity }], reference: "" });
    return { orderId: row!.id, remaining: row!.remaining };
  }

  /**
   * Takes every item for a customer and records an order per item, with the
   * caller's reference, in one transaction: when any item is refused, nothing
   * is taken or recorded. Answers the orders in the items' order.
   */
  pickOrder(customer: string, items: ReadonlyArray<OrderLine>, reference = ""): Promise<RecordedOrderRow[]> {
    return this.takeOrder({ customer, items, reference });
  }

  /** One order: batched with concurrent ones when it can be, on its own inside a transaction. */
  private async takeOrder(order: OrderRequest): Promise<RecordedOrderRow[]> {
    if (this.batchers && !this.db.isTransaction) return this.batchers.orders.take(order);
    const [outcome] = await inTransaction(this.db, (trx) => takeOrders(trx, [order]));
    if (outcome instanceof Error) throw outcome;
    return outcome!;
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
