import type { Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";
import { takeOrders, type OrderRequest, type RecordedOrderRow } from "./take-orders.js";

interface PendingOrder {
  order: OrderRequest;
  resolve(rows: RecordedOrderRow[]): void;
  reject(error: unknown): void;
}

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

  /** Takes the order, answering its rows (in its items' order) or why it was refused. */
  take(order: OrderRequest): Promise<RecordedOrderRow[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ order, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        this.totals.batches++;
        this.totals.orders += batch.length;
        try {
          const outcomes = await this.db.transaction().execute((trx) =>
            takeOrders(
              trx,
              batch.map((p) => p.order),
            ),
          );
          batch.forEach((pending, i) => {
            const outcome = outcomes[i]!;
            if (outcome instanceof Error) pending.reject(outcome);
            else pending.resolve(outcome);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.inFlight--;
    }
  }
}
