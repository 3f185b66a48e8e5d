import { Code, ConnectError, type CallOptions } from "@connectrpc/connect";
import type { ChillybinClients } from "./chillybin-client.js";

/** The codes chillybin refuses a pick with that the caller should see as they are. */
const PASSED_THROUGH = new Set([Code.NotFound, Code.FailedPrecondition]);
// Canceled without our caller leaving means the connection to chillybin was
// cut under the call (an HTTP/2 stream reset): chillybin went away.
const UNREACHABLE = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Canceled]);

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

/** How one toastie's ingredients are picked from chillybin. */
export interface PickPlan {
  /** Ingredient → how many. */
  picks: ReadonlyMap<string, number>;
  /** Who for; required with v2. */
  customer: string;
  /** v2 records an order per pick; v1 does not. */
  useV2: boolean;
}

/**
 * Picks every ingredient of a toastie from chillybin, in order, with v1 or
 * v2 Pick. Answers the order ids v2 recorded (none with v1). This is every
 * call jafflr makes to chillybin: the contract tests (test/contract) drive it.
 */
export async function pickIngredients(chillybin: ChillybinClients, plan: PickPlan, options: CallOptions): Promise<bigint[]> {
  const orderIds: bigint[] = [];
  for (const [ingredient, quantity] of plan.picks) {
    try {
      if (plan.useV2) orderIds.push((await chillybin.v2.pick({ ingredient, quantity, customer: plan.customer }, options)).id);
      else await chillybin.v1.pick({ ingredient, quantity }, options);
    } catch (error) {
      throw pickFailure(ingredient, error);
    }
  }
  return orderIds;
}
