import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { GetStatusResponseSchema, JafflrService, MakeToastieResponseSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import type { ChillybinClient } from "./chillybin-client.js";
import type { Kitchen } from "./kitchen.js";
import { parseToastieOrder } from "./toastie-order.js";

export interface JafflrDependencies {
  chillybin: ChillybinClient;
  kitchen: Kitchen;
  /** Deadline for each call to chillybin. */
  chillybinTimeoutMs: number;
}

/** The codes chillybin refuses a pick with that the caller should see as they are. */
const PASSED_THROUGH = new Set([Code.NotFound, Code.FailedPrecondition]);
const UNREACHABLE = new Set([Code.Unavailable, Code.DeadlineExceeded]);

/** Turns chillybin's refusal of a pick into jafflr's answer, naming the ingredient. */
export function pickFailure(ingredient: string, error: unknown): ConnectError {
  const cause = ConnectError.from(error);
  if (PASSED_THROUGH.has(cause.code)) {
    return new ConnectError(`cannot pick ${ingredient}: ${cause.rawMessage}`, cause.code, undefined, undefined, cause);
  }
  if (UNREACHABLE.has(cause.code)) {
    return new ConnectError(`chillybin is unavailable (picking ${ingredient}): ${cause.rawMessage}`, Code.Unavailable, undefined, undefined, cause);
  }
  return new ConnectError(`chillybin failed picking ${ingredient}: ${cause.rawMessage}`, Code.Internal, undefined, undefined, cause);
}

export function jafflrServiceImpl(deps: JafflrDependencies): ServiceImpl<typeof JafflrService> {
  return {
    async makeToastie(req, ctx) {
      const order = parseToastieOrder(req);
      for (const [name, quantity] of order.picks) {
        try {
          await deps.chillybin.pick({ ingredient: name, quantity }, { timeoutMs: deps.chillybinTimeoutMs, signal: ctx.signal });
        } catch (error) {
          throw pickFailure(name, error);
        }
      }
      await deps.kitchen.cook(order.doneness, ctx.signal);
      return create(MakeToastieResponseSchema, {
        toastie: { ingredients: order.ingredients, doneness: order.doneness, customer: order.customer },
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
