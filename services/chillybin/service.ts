import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { IDEMPOTENCY_KEY_HEADER } from "../../lib/idempotency-key.js";
import type { IdempotentCalls } from "./idempotent-calls.js";
import { isDatabaseTimeout, isDatabaseUnreachable, workDeadline, type WorkDeadline } from "../../lib/db/index.js";
import { OutOfStockError, type Stock, UnknownIngredientError } from "./stock.js";

/**
 * The one place chillybin's own failures become Connect codes, for every RPC
 * and REST path alike (serve() applies it as an interceptor): refusals to
 * theirs, a database out of reach to UNAVAILABLE. Anything else is INTERNAL.
 */
export function chillybinErrorCodes(error: unknown): ConnectError | undefined {
  // Each refusal carries a StockRefusal detail: what callers read, rather than the message.
  const refusal = (reason: v2.StockRefusal_Reason, e: UnknownIngredientError | OutOfStockError) => [
    { desc: v2.StockRefusalSchema, value: { ingredient: e.ingredient, reason, wanted: e.wanted, available: e instanceof OutOfStockError ? e.available : 0 } },
  ];
  if (error instanceof UnknownIngredientError)
    return new ConnectError(error.message, Code.NotFound, undefined, refusal(v2.StockRefusal_Reason.UNKNOWN_INGREDIENT, error));
  if (error instanceof OutOfStockError)
    return new ConnectError(error.message, Code.FailedPrecondition, undefined, refusal(v2.StockRefusal_Reason.NOT_ENOUGH, error));
  if (isDatabaseUnreachable(error))
    return new ConnectError(`the database is unreachable: ${(error as Error).message}`, Code.Unavailable, undefined, undefined, error);
  if (isDatabaseTimeout(error))
    return new ConnectError(
      `the database did not answer in time (DATABASE_TIMEOUT_MS): ${(error as Error).message}`,
      Code.Unavailable,
      undefined,
      undefined,
      error,
    );
  return undefined;
}

// What a request must look like (names, quantities, customers, items, the
// reference's length) is stated in proto/ as buf/validate rules and enforced
// before these handlers run (lib/server/interceptors/schema-rules.ts): what reaches them is
// valid, and only the database can still refuse it (unknown ingredient, too
// little stock).

// Every call's database work is bounded by its deadline (DATABASE_TIMEOUT_MS
// when it gives none or a later one): lock waits, statements, the batch it
// joins. A caller who stops waiting is answered then, and nothing is taken for it.

/** The deadline of a call's database work. */
export type Deadlines = (ctx: HandlerContext) => WorkDeadline;

/** Each call's: the caller's deadline, never past `databaseTimeoutMs`. */
export function deadlinesWithin(databaseTimeoutMs: number): Deadlines {
  return (ctx) => workDeadline(ctx.signal, ctx.timeoutMs(), databaseTimeoutMs);
}

export function chillybinV1Impl(stock: Stock, calls: IdempotentCalls, deadlineOf: Deadlines): ServiceImpl<typeof v1.ChillybinService> {
  return {
    async pick(req, ctx) {
      const deadline = deadlineOf(ctx);
      // v1 names the ingredient `name` (v2: `ingredient`).
      return calls.once(ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER), v1.ChillybinService.method.pick, req, deadline, async (store) =>
        create(v1.PickResponseSchema, { name: req.name, remaining: await store.stock.pick(req.name, req.quantity, deadline) }),
      );
    },
    async getStock(_req, ctx) {
      return create(v1.GetStockResponseSchema, { stock: await stock.levels(deadlineOf(ctx)) });
    },
    async restock(_req, ctx) {
      return create(v1.RestockResponseSchema, { stock: await stock.restock(deadlineOf(ctx)) });
    },
  };
}

export function chillybinV2Impl(calls: IdempotentCalls, deadlineOf: Deadlines): ServiceImpl<typeof v2.ChillybinService> {
  return {
    async pick(req, ctx) {
      const deadline = deadlineOf(ctx);
      return calls.once(ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER), v2.ChillybinService.method.pick, req, deadline, async ({ orders }) => {
        const { orderId, remaining } = await orders.takeOne(req.customer, req.ingredient, req.quantity, deadline);
        return create(v2.PickResponseSchema, { id: BigInt(orderId), remaining });
      });
    },
    async pickOrder(req, ctx) {
      const deadline = deadlineOf(ctx);
      return calls.once(ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER), v2.ChillybinService.method.pickOrder, req, deadline, async (store) => {
        const orders = (await store.orders.takeAll(req.customer, req.items, req.reference, deadline)).map((order) => ({ ...order, id: BigInt(order.id) }));
        return create(v2.PickOrderResponseSchema, { ids: orders.map((order) => order.id), orders });
      });
    },
  };
}

/** Registers chillybin's services, every version, on a Connect router, over parts built once (composeChillybin). */
export function chillybinRoutes(parts: { stock: Stock; calls: IdempotentCalls; databaseTimeoutMs: number }): (router: ConnectRouter) => void {
  const deadlineOf = deadlinesWithin(parts.databaseTimeoutMs);
  return (router) => {
    router.service(v1.ChillybinService, chillybinV1Impl(parts.stock, parts.calls, deadlineOf));
    router.service(v2.ChillybinService, chillybinV2Impl(parts.calls, deadlineOf));
  };
}
