import type { Kysely } from "kysely";
import { limitTransaction, type WorkDeadline } from "../../lib/db/index.js";
import { inTransaction } from "./database.js";
import type { ChillybinDatabase } from "./database.js";
import type { PickBatcher } from "./pick-batcher.js";
import { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";
import { takeIfEnough } from "./take-if-enough.js";

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

/**
 * The stock of ingredients, in the database: what is left, picks that record
 * nothing (v1), and restocking. Knows nothing of RPCs. Built on a
 * transaction, its calls join it (see IdempotentCalls). Orders, which take
 * stock and record it, are orders.ts.
 */
export class Stock {
  /** `picks`: lets concurrent picks outside a transaction share statements. */
  constructor(
    private readonly db: Kysely<ChillybinDatabase>,
    private readonly picks?: PickBatcher,
  ) {}

  /**
   * Takes `quantity` of an ingredient, answering what is left: batched with
   * concurrent picks of it when it can be, on its own inside a transaction
   * (which must see its own pick, and whose own limits bound it), or in a new
   * one that waits no longer than the deadline.
   */
  async pick(name: string, quantity: number, deadline: WorkDeadline): Promise<number> {
    if (this.picks && !this.db.isTransaction) return this.picks.pick(name, quantity, deadline);
    return this.bounded(deadline, (db) => takeStock(db, name, quantity));
  }

  /** Every ingredient with its quantity, by name. */
  async levels(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom("ingredients").select(["name", "quantity"]).orderBy("name").execute();
    return Object.fromEntries(rows.map((r) => [r.name, r.quantity]));
  }

  /** Puts the default stock back and answers the new levels, waiting for the rows no longer than the deadline. */
  async restock(deadline: WorkDeadline): Promise<Record<string, number>> {
    const rows = Object.entries(DEFAULT_STOCK).map(([name, quantity]) => ({ name, quantity }));
    await this.bounded(deadline, (db) =>
      db
        .insertInto("ingredients")
        .values(rows)
        .onConflict((oc) => oc.column("name").doUpdateSet({ quantity: (eb) => eb.ref("excluded.quantity") }))
        .execute(),
    );
    return this.levels();
  }

  /** Runs `work` in the caller's transaction (already bounded), or in a new one bounded by the deadline. */
  private bounded<T>(deadline: WorkDeadline, work: (db: Kysely<ChillybinDatabase>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this.db);
    return inTransaction(this.db, async (trx) => {
      await limitTransaction(trx, deadline.at - Date.now());
      return work(trx);
    });
  }
}
