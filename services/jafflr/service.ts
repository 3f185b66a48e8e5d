import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { GetStatusResponseSchema, JafflrService, MakeToastieResponseSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import type { ChillybinClients } from "./chillybin-client.js";
import type { Kitchen } from "./kitchen.js";
import type { PickVersion } from "./pick-version.js";
import { parseToastieOrder } from "./toastie-order.js";

export interface JafflrDependencies {
  chillybin: ChillybinClients;
  /** Which chillybin Pick each customer's toasties use. */
  pickVersion: PickVersion;
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
      const useV2 = await deps.pickVersion.useV2(order.customer);
      const callOptions = { timeoutMs: deps.chillybinTimeoutMs, signal: ctx.signal };
      for (const [ingredient, quantity] of order.picks) {
        try {
          if (useV2) await deps.chillybin.v2.pick({ ingredient, quantity, customer: order.customer }, callOptions);
          else await deps.chillybin.v1.pick({ ingredient, quantity }, callOptions);
        } catch (error) {
          throw pickFailure(ingredient, error);
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
