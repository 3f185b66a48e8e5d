import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { IDEMPOTENCY_KEY_HEADER } from "../../lib/idempotency-key.js";
import type { IdempotentCalls } from "./idempotent-calls.js";
import { isDatabaseUnreachable } from "../../lib/db/index.js";
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
  return undefined;
}

// What a request must look like (names, quantities, customers, items, the
// reference's length) is stated in proto/ as buf/validate rules and enforced
// before these handlers run (lib/server/interceptors/schema-rules.ts): what reaches them is
// valid, and only the database can still refuse it (unknown ingredient, too
// little stock).

export function chillybinV1Impl(stock: Stock, calls: IdempotentCalls): ServiceImpl<typeof v1.ChillybinService> {
  return {
    async pick(req, ctx) {
      // v1 names the ingredient `name` (v2: `ingredient`).
      return calls.once(ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER), v1.ChillybinService.method.pick, req, async (store) =>
        create(v1.PickResponseSchema, { name: req.name, remaining: await store.stock.pick(req.name, req.quantity) }),
      );
    },
    async getStock() {
      return create(v1.GetStockResponseSchema, { stock: await stock.levels() });
    },
    async restock() {
      return create(v1.RestockResponseSchema, { stock: await stock.restock() });
    },
  };
}

export function chillybinV2Impl(calls: IdempotentCalls): ServiceImpl<typeof v2.ChillybinService> {
  return {
    async pick(req, ctx) {
      return calls.once(ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER), v2.ChillybinService.method.pick, req, async ({ orders }) => {
        const { orderId, remaining } = await orders.takeOne(req.customer, req.ingredient, req.quantity);
        return create(v2.PickResponseSchema, { id: BigInt(orderId), remaining });
      });
    },
    async pickOrder(req, ctx) {
      return calls.once(ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER), v2.ChillybinService.method.pickOrder, req, async (store) => {
        const orders = (await store.orders.takeAll(req.customer, req.items, req.reference)).map((order) => ({ ...order, id: BigInt(order.id) }));
        return create(v2.PickOrderResponseSchema, { ids: orders.map((order) => order.id), orders });
      });
    },
  };
}

/** Registers chillybin's services, every version, on a Connect router, over parts built once (composeChillybin). */
export function chillybinRoutes(parts: { stock: Stock; calls: IdempotentCalls }): (router: ConnectRouter) => void {
  return (router) => {
    router.service(v1.ChillybinService, chillybinV1Impl(parts.stock, parts.calls));
    router.service(v2.ChillybinService, chillybinV2Impl(parts.calls));
  };
}
