import type { Kysely } from "kysely";
import { inLimitedTransaction, type WorkDeadline } from "../../lib/db/index.js";
import type { ChillybinDatabase } from "./database.js";
import type { PickBatcher } from "./pick-batcher.js";
import { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";
import { takeIfEnough } from "./take-if-enough.js";
import { asCallerSees } from "./waiting-callers.js";

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

async function readLevels(db: Kysely<ChillybinDatabase>): Promise<Record<string, number>> {
  const rows = await db.selectFrom("ingredients").select(["name", "quantity"]).orderBy("name").execute();
  return Object.fromEntries(rows.map((r) => [r.name, r.quantity]));
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

  /**
   * Every ingredient with its quantity, by name, read no longer than the
   * deadline: a read waits too when a table lock is held (a migration's ALTER
   * TABLE), and a caller, or a scrape, must not wait past it holding a connection.
   */
  levels(deadline: WorkDeadline): Promise<Record<string, number>> {
    return this.bounded(deadline, readLevels);
  }

  /** Puts the default stock back and answers the new levels (read in the same transaction), waiting for the rows no longer than the deadline. */
  restock(deadline: WorkDeadline): Promise<Record<string, number>> {
    const rows = Object.entries(DEFAULT_STOCK).map(([name, quantity]) => ({ name, quantity }));
    return this.bounded(deadline, async (db) => {
      await db
        .insertInto("ingredients")
        .values(rows)
        .onConflict((oc) => oc.column("name").doUpdateSet({ quantity: (eb) => eb.ref("excluded.quantity") }))
        .execute();
      return readLevels(db);
    });
  }

  /**
   * Runs `work` in the caller's transaction (already bounded), or in a new one
   * bounded by the deadline; PostgreSQL giving up at the caller's own deadline
   * is that deadline passing (DEADLINE_EXCEEDED), not the database failing.
   */
  private async bounded<T>(deadline: WorkDeadline, work: (db: Kysely<ChillybinDatabase>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this.db);
    try {
      return await inLimitedTransaction(this.db, deadline.at, work);
    } catch (error) {
      throw asCallerSees(deadline, error);
    }
  }
}
