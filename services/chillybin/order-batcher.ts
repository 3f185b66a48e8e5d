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
 * order arriving while no batch is in flight goes at once, alone; orders
 * arriving meanwhile wait for it and then go together, in one transaction of
 * two statements (takeOrders), however many they are.
 *
 * Each order is still all or nothing and gets the answer it would have got
 * alone, as if the batch's orders had run one after another in arrival
 * order. A batch that fails (the database out of reach) fails each of its
 * orders, and none of them took anything.
 */
export class OrderBatcher {
  private waiting: PendingOrder[] = [];
  private flushing = false;
  /** Transactions run and orders they carried, for metrics (their ratio is the mean batch size). */
  readonly totals = { batches: 0, orders: 0 };

  constructor(private readonly db: Kysely<ChillybinDatabase>) {}

  /** Takes the order, answering its rows (in its items' order) or why it was refused. */
  take(order: OrderRequest): Promise<RecordedOrderRow[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ order, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        this.totals.batches++;
        this.totals.orders += batch.length;
        try {
          const outcomes = await this.db.transaction().execute((trx) => takeOrders(trx, batch.map((p) => p.order)));
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
      this.flushing = false;
    }
  }
}
