import type { Kysely } from "kysely";
import { inLimitedTransaction, type WorkDeadline } from "../../lib/db/index.js";
import type { ChillybinDatabase } from "./database.js";
import type { OrderBatcher } from "./order-batcher.js";
import { takeOrders, type OrderLine, type OrderRequest, type RecordedOrderRow } from "./take-orders.js";

/**
 * Orders: stock taken for a customer and recorded, each order all or
 * nothing (chillybin.v2). Built on a transaction, its calls join it (see
 * IdempotentCalls).
 */
export class Orders {
  /** `batcher`: lets concurrent orders outside a transaction share transactions. */
  constructor(
    private readonly db: Kysely<ChillybinDatabase>,
    private readonly batcher?: OrderBatcher,
  ) {}

  /**
   * Takes one ingredient for a customer and records the order, in one
   * transaction: when the pick is refused, no order is written.
   */
  async takeOne(customer: string, ingredient: string, quantity: number, deadline: WorkDeadline): Promise<{ orderId: string; remaining: number }> {
    const [row] = await this.take({ customer, items: [{ ingredient, quantity }], reference: "" }, deadline);
    return { orderId: row!.id, remaining: row!.remaining };
  }

  /**
   * Takes every item for a customer and records an order per item, with the
   * caller's reference, in one transaction: when any item is refused, nothing
   * is taken or recorded. Answers the orders in the items' order.
   */
  takeAll(customer: string, items: ReadonlyArray<OrderLine>, reference: string, deadline: WorkDeadline): Promise<RecordedOrderRow[]> {
    return this.take({ customer, items, reference }, deadline);
  }

  /**
   * One order: batched with concurrent ones when it can be, on its own inside
   * a transaction (whose own limits bound it: IdempotentCalls), or in a new
   * one that waits no longer than the deadline.
   */
  private async take(order: OrderRequest, deadline: WorkDeadline): Promise<RecordedOrderRow[]> {
    if (this.batcher && !this.db.isTransaction) return this.batcher.take(order, deadline);
    const [outcome] = await inLimitedTransaction(this.db, deadline.at, (trx) => takeOrders(trx, [order]));
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  }
}
