import type { Kysely } from "kysely";
import { isDatabaseTimeout, limitTransaction, stillWaiting, type WorkDeadline } from "../../lib/db/index.js";
import type { ChillybinDatabase } from "./database.js";
import { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";
import { takeIfEnough } from "./take-if-enough.js";
import { DECIDE_AGAIN, stillWaitingIn, stoppedWaiting, type WaitingCaller, waitingCaller } from "./waiting-callers.js";

/** A pick waiting for its batch: how many, and its caller (answered with what is left after it, or why not). */
type PendingPick = { quantity: number } & WaitingCaller<number>;

/** At most this many picks share one statement. */
const MAX_BATCH = 512;

/**
 * How long a batch's single statement waits for its row before the batch
 * takes the way that decides only for callers still waiting (a transaction:
 * lock, look, decide, write). A caller that cancels within this wait can still
 * be taken (the statement cannot know); one whose deadline passes cannot.
 */
const SINGLE_STATEMENT_LOCK_WAIT_MS = 20;

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
 *
 * A caller's deadline bounds its pick (as in OrderBatcher): it is answered
 * when it stops waiting, and nothing is taken for it. The one statement waits
 * for the row briefly (SINGLE_STATEMENT_LOCK_WAIT_MS, never past the earliest
 * deadline); a row locked longer is taken in a transaction that waits no
 * longer than the earliest deadline and decides only for callers still waiting.
 */
export class PickBatcher {
  private readonly waiting = new Map<string, PendingPick[]>();
  private readonly inFlight = new Set<string>();
  /** Statements sent and picks they carried, for metrics (their ratio is the mean batch size). */
  readonly totals = { batches: 0, picks: 0 };

  constructor(private readonly db: Kysely<ChillybinDatabase>) {}

  /** Takes `quantity` of `name`, answering what is left after this pick, or why its caller stopped waiting. */
  pick(name: string, quantity: number, deadline: WorkDeadline): Promise<number> {
    return new Promise((resolve, reject) => {
      if (!stillWaiting(deadline)) return reject(stoppedWaiting(deadline));
      const pending: PendingPick = waitingCaller({ quantity }, deadline, { resolve, reject });
      const queue = this.waiting.get(name) ?? [];
      queue.push(pending);
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
        await this.decide(name, batch);
      }
    } finally {
      this.inFlight.delete(name);
    }
  }

  /** Decides a batch's picks for the callers still waiting, trying again while the earliest deadline runs out on the lock. */
  private async decide(name: string, batch: PendingPick[]): Promise<void> {
    for (;;) {
      const live = stillWaitingIn(batch);
      if (live.length === 0) return;
      this.totals.batches++;
      this.totals.picks += live.length;
      try {
        const outcomes = await this.take(name, live);
        for (const [i, outcome] of outcomes.entries()) if (outcome !== undefined) live[i]!.answer(outcome);
      } catch (error) {
        if (error === DECIDE_AGAIN || isDatabaseTimeout(error)) continue;
        for (const pick of live) pick.answer(error as Error); // e.g. the database is unreachable: each caller reports it
        return;
      }
    }
  }

  /** One batch: what is left after each pick, or why it was refused (undefined: its caller stopped waiting, nothing taken). */
  private async take(name: string, live: PendingPick[]): Promise<Array<number | Error | undefined>> {
    const quantities = live.map((p) => p.quantity);
    const total = quantities.reduce((a, b) => a + b, 0);
    const earliest = Math.min(...live.map((p) => p.deadline.at));
    // The usual case, one statement: there is enough for the whole batch, and the row is not held long.
    try {
      const final = await takeIfEnough(this.db, name, total, Math.min(SINGLE_STATEMENT_LOCK_WAIT_MS, earliest - Date.now()));
      if (final !== undefined) return remainingAfterEach(final, quantities);
    } catch (error) {
      if (!isDatabaseTimeout(error)) throw error;
    }
    // Not enough for all (or no such ingredient), or the row is held: under its lock, grant in arrival order to callers still waiting.
    const waits = (i: number) => stillWaiting(live[i]!.deadline);
    return this.db.transaction().execute(async (trx) => {
      await limitTransaction(trx, earliest - Date.now());
      const current = await trx.selectFrom("ingredients").select("quantity").where("name", "=", name).forUpdate().executeTakeFirst();
      if (!current) return quantities.map((q, i) => (waits(i) ? new UnknownIngredientError(name, q) : undefined));
      let left = current.quantity;
      const outcomes = quantities.map((q, i) => {
        if (!waits(i)) return undefined;
        if (q > left) return new OutOfStockError(name, q, left);
        left -= q;
        return left;
      });
      if (left !== current.quantity) await trx.updateTable("ingredients").set({ quantity: left }).where("name", "=", name).execute();
      if (outcomes.some((outcome, i) => typeof outcome === "number" && !waits(i))) throw DECIDE_AGAIN;
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
