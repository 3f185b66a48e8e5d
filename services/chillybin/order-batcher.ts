import type { Kysely } from "kysely";
import { isDatabaseTimeout, limitTransaction, stillWaiting, type WorkDeadline } from "../../lib/db/index.js";
import type { ChillybinDatabase } from "./database.js";
import { takeOrders, type OrderRequest, type RecordedOrderRow } from "./take-orders.js";
import { DECIDE_AGAIN, stillWaitingIn, stoppedWaiting, type WaitingCaller, waitingCaller } from "./waiting-callers.js";

/** An order waiting for its batch, and its caller (answered with the order's rows, or why not). */
type PendingOrder = { order: OrderRequest } & WaitingCaller<RecordedOrderRow[]>;

/** At most this many orders share one transaction. */
const MAX_BATCH = 256;

/**
 * Concurrent orders share one transaction, as concurrent picks share a
 * statement (PickBatcher). Every toastie wants bread, so one toastie's
 * transaction holding bread's row lock across its statements would make every
 * other toastie wait for it: one at a time, a few hundred a second. Here an
 * order arriving while fewer than two batches are in flight goes at once,
 * alone; orders arriving meanwhile wait and then go together, in one
 * transaction of two statements (takeOrders), however many they are.
 *
 * Each order is still all or nothing and gets the answer it would have got
 * alone, as if the orders had run one after another (a batch's in arrival
 * order). A batch that fails (the database out of reach) fails each of its
 * orders, and none of them took anything.
 *
 * A caller's deadline bounds its order's work: it is answered when it stops
 * waiting (its deadline, or it cancelled), not when the database is done, and
 * then nothing is taken for it. A batch waits for the rows' locks no longer
 * than its earliest deadline (PostgreSQL's lock_timeout), so every order is
 * decided while its caller still waits; when that wait runs out, the callers
 * whose deadline passed are answered and the rest try again. A caller that
 * stops waiting after its order was decided but before COMMIT rolls the batch
 * back, to be decided again without it.
 */
export class OrderBatcher {
  private waiting: PendingOrder[] = [];
  private inFlight = 0;
  /** Transactions run and orders they carried, for metrics (their ratio is the mean batch size). */
  readonly totals = { batches: 0, orders: 0 };

  /**
   * `maxInFlight`: batches under way at once. With two, the next batch is
   * already waiting on the rows' locks when the one before commits, instead
   * of being sent only once its answer is back. Each reads the rows under
   * their locks, so it sees the one before it committed: every order is
   * still answered as if the orders had run one after another (within a
   * batch in arrival order; two batches in the order the database locks them).
   */
  constructor(
    private readonly db: Kysely<ChillybinDatabase>,
    private readonly maxInFlight = 2,
  ) {}

  /** Takes the order, answering its rows (in its items' order) or why it was refused, or why its caller stopped waiting. */
  take(order: OrderRequest, deadline: WorkDeadline): Promise<RecordedOrderRow[]> {
    return new Promise((resolve, reject) => {
      if (!stillWaiting(deadline)) return reject(stoppedWaiting(deadline));
      // One that stops waiting before its batch goes leaves the queue.
      const pending: PendingOrder = waitingCaller({ order }, deadline, { resolve, reject }, () => {
        this.waiting = this.waiting.filter((p) => p !== pending);
      });
      this.waiting.push(pending);
      if (this.inFlight < this.maxInFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    try {
      while (this.waiting.length) await this.decide(this.waiting.splice(0, MAX_BATCH));
    } finally {
      this.inFlight--;
    }
  }

  /** Decides a batch's orders for the callers still waiting, trying again while the earliest deadline runs out on the locks. */
  private async decide(batch: PendingOrder[]): Promise<void> {
    for (;;) {
      const live = stillWaitingIn(batch);
      if (live.length === 0) return;
      this.totals.batches++;
      this.totals.orders += live.length;
      const waits = (i: number) => stillWaiting(live[i]!.deadline);
      try {
        const outcomes = await this.db.transaction().execute(async (trx) => {
          await limitTransaction(trx, Math.min(...live.map((p) => p.deadline.at)) - Date.now());
          const decided = await takeOrders(
            trx,
            live.map((p) => p.order),
            waits,
          );
          if (decided.some((outcome, i) => Array.isArray(outcome) && !waits(i))) throw DECIDE_AGAIN;
          return decided;
        });
        for (const [i, outcome] of outcomes.entries()) if (outcome !== undefined) live[i]!.answer(outcome);
        // Orders not decided (their callers stopped waiting) are answered at the top of the loop.
      } catch (error) {
        // The earliest deadline ran out waiting for the locks, or a caller left before COMMIT: decide again without them.
        if (error === DECIDE_AGAIN || isDatabaseTimeout(error)) continue;
        for (const pending of live) pending.answer(error as Error);
        return;
      }
    }
  }
}
