import type { Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";
import { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";
import { takeIfEnough } from "./take-if-enough.js";

interface PendingPick {
  quantity: number;
  resolve(remaining: number): void;
  reject(error: unknown): void;
}

/** At most this many picks share one statement. */
const MAX_BATCH = 512;

/**
 * Concurrent picks of one ingredient share one statement, as a database's
 * group commit shares one flush. A pick arriving while none of its
 * ingredient is in flight goes at once, alone; picks arriving while one is
 * in flight wait for it and then go together. A hot ingredient's row lock is
 * then taken once per batch instead of once per pick, so many clients picking
 * it get far more picks through than the row lock would let single statements
 * do, and a lone pick waits for nothing.
 *
 * Each pick still gets its own answer, as if the batch's picks had run one
 * after another in arrival order: granted while there is enough, refused
 * (OutOfStockError, with what was left at its turn) when there is not.
 */
export class PickBatcher {
  private readonly waiting = new Map<string, PendingPick[]>();
  private readonly inFlight = new Set<string>();
  /** Statements sent and picks they carried, for metrics (their ratio is the mean batch size). */
  readonly totals = { batches: 0, picks: 0 };

  constructor(private readonly db: Kysely<ChillybinDatabase>) {}

  /** Takes `quantity` of `name`, answering what is left after this pick. */
  pick(name: string, quantity: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(name) ?? [];
      queue.push({ quantity, resolve, reject });
      this.waiting.set(name, queue);
      if (!this.inFlight.has(name)) void this.flush(name);
    });
  }

  private async flush(name: string): Promise<void> {
    this.inFlight.add(name);
    try {
      for (let queue = this.waiting.get(name); queue?.length; queue = this.waiting.get(name)) {
        const batch = queue.splice(0, MAX_BATCH);
        if (queue.length === 0) this.waiting.delete(name);
        this.totals.batches++;
        this.totals.picks += batch.length;
        try {
          const outcomes = await this.take(
            name,
            batch.map((p) => p.quantity),
          );
          for (const [i, pick] of batch.entries()) {
            const outcome = outcomes[i]!;
            if (outcome instanceof Error) pick.reject(outcome);
            else pick.resolve(outcome);
          }
        } catch (error) {
          for (const pick of batch) pick.reject(error); // e.g. the database is unreachable: each caller reports it
        }
      }
    } finally {
      this.inFlight.delete(name);
    }
  }

  /** One batch: what is left after each pick, or why it was refused. */
  private async take(name: string, quantities: number[]): Promise<Array<number | Error>> {
    const total = quantities.reduce((a, b) => a + b, 0);
    // The usual case, one statement: there is enough for the whole batch.
    const final = await takeIfEnough(this.db, name, total);
    if (final !== undefined) return remainingAfterEach(final, quantities);
    // Not enough for all (or no such ingredient): under the row's lock, grant in arrival order.
    return this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom("ingredients").select("quantity").where("name", "=", name).forUpdate().executeTakeFirst();
      if (!current) return quantities.map((q) => new UnknownIngredientError(name, q));
      let left = current.quantity;
      const outcomes = quantities.map((q) => {
        if (q > left) return new OutOfStockError(name, q, left);
        left -= q;
        return left;
      });
      if (left !== current.quantity) await trx.updateTable("ingredients").set({ quantity: left }).where("name", "=", name).execute();
      return outcomes;
    });
  }
}

/** After the batch left `final`, what each pick (in order) left behind it. */
function remainingAfterEach(final: number, quantities: number[]): number[] {
  const remaining: number[] = [];
  let after = final;
  for (let i = quantities.length - 1; i >= 0; i--) {
    remaining[i] = after;
    after += quantities[i]!;
  }
  return remaining;
}
