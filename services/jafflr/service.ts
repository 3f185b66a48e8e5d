import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyProblem } from "../../lib/idempotency-key.js";
import { GetStatusResponseSchema, JafflrService, MakeToastieResponseSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import type { ChillybinClients } from "./chillybin-client.js";
import type { Kitchen } from "./kitchen.js";
import { pickIngredients } from "./picking.js";
import { toastieOrderOf, toastieReference } from "./toastie-order.js";

export interface JafflrDependencies {
  chillybin: ChillybinClients;
  /** Who a toastie ordered without a customer is recorded for. */
  defaultCustomer: string;
  kitchen: Kitchen;
  /** The longest a call to chillybin may take (a caller's shorter deadline wins). */
  chillybinTimeoutMs: number;
}

export function jafflrServiceImpl(deps: JafflrDependencies): ServiceImpl<typeof JafflrService> {
  return {
    async makeToastie(req, ctx) {
      const order = toastieOrderOf(req);
      // A bad key is the caller's mistake, refused before anything is asked of chillybin.
      const idempotencyKey = ctx.requestHeader.get(IDEMPOTENCY_KEY_HEADER);
      const problem = idempotencyKeyProblem(idempotencyKey);
      if (problem) throw new ConnectError(problem, Code.InvalidArgument);
      const customer = order.customer || deps.defaultCustomer;
      // A toastie that cannot be cooked before the caller's deadline is refused before anything is
      // picked; one that can is picked within the time cooking leaves, so stock is never taken for a
      // toastie its caller will not get.
      const cookingMs = deps.kitchen.cookingMs(order.doneness);
      const left = ctx.timeoutMs();
      if (left !== undefined && left <= cookingMs)
        throw new ConnectError(`the toastie takes ${cookingMs} ms to cook, longer than the deadline leaves: nothing was picked`, Code.DeadlineExceeded);
      const orderIds = await pickIngredients(
        deps.chillybin,
        { picks: order.picks, customer, reference: toastieReference(order), idempotencyKey: idempotencyKey ?? undefined },
        { signal: ctx.signal, timeoutMs: () => (left === undefined ? undefined : (ctx.timeoutMs() ?? 0) - cookingMs) },
        deps.chillybinTimeoutMs,
      );
      await deps.kitchen.cook(order.doneness, ctx.signal);
      return create(MakeToastieResponseSchema, {
        toastie: { ingredients: order.ingredients, doneness: order.doneness, customer, orderIds },
      });
    },
    getStatus() {
      const cooking = deps.kitchen.cooking;
      return create(GetStatusResponseSchema, { cooking, toasting: cooking > 0 });
    },
  };
}

/** Registers jafflr's services on a Connect router. */
export function jafflrRoutes(deps: JafflrDependencies): (router: ConnectRouter) => void {
  return (router) => {
    router.service(JafflrService, jafflrServiceImpl(deps));
  };
}
