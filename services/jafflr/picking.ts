import { Code, ConnectError, type CallOptions } from "@connectrpc/connect";
import { IDEMPOTENCY_KEY_HEADER } from "../../lib/server/index.js";
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
  /** The toastie's Idempotency-Key: passed on, so a retried toastie takes its ingredients once. */
  idempotencyKey?: string;
}

function withKey(options: CallOptions, key: string | undefined): CallOptions {
  return key ? { ...options, headers: { ...(options.headers as Record<string, string> | undefined), [IDEMPOTENCY_KEY_HEADER]: key } } : options;
}

/** The ingredient a refusal names ("… ham …"), for the caller's message; the longest name wins. */
function refusedIngredient(plan: PickPlan, error: unknown): string {
  const message = ConnectError.from(error).rawMessage;
  const names = [...plan.picks.keys()].sort((a, b) => b.length - a.length);
  return names.find((ingredient) => message.includes(ingredient)) ?? "the order";
}

/**
 * Picks every ingredient of a toastie from chillybin. With v2, one PickOrder
 * call takes them all or none (a toastie that cannot be made takes nothing)
 * and records the orders; with v1 (deprecated), one Pick per ingredient, in
 * order, so a later refusal leaves the earlier picks taken. Answers the order
 * ids v2 recorded (none with v1). This is every call jafflr makes to
 * chillybin: the contract tests (test/contract) drive it.
 */
export async function pickIngredients(chillybin: ChillybinClients, plan: PickPlan, options: CallOptions): Promise<bigint[]> {
  if (plan.useV2) {
    const items = [...plan.picks].map(([ingredient, quantity]) => ({ ingredient, quantity }));
    try {
      return (await chillybin.v2.pickOrder({ customer: plan.customer, items }, withKey(options, plan.idempotencyKey))).ids;
    } catch (error) {
      throw pickFailure(refusedIngredient(plan, error), error);
    }
  }
  for (const [ingredient, quantity] of plan.picks) {
    try {
      // One key per ingredient: each v1 pick is a call of its own.
      await chillybin.v1.pick({ ingredient, quantity }, withKey(options, plan.idempotencyKey && `${plan.idempotencyKey}:${ingredient}`));
    } catch (error) {
      throw pickFailure(ingredient, error);
    }
  }
  return [];
}
