import { Code, ConnectError, type CallOptions } from "@connectrpc/connect";
import { callOptionsFor, type Caller } from "../../lib/client/index.js";
import { IDEMPOTENCY_KEY_HEADER } from "../../lib/idempotency-key.js";
import { StockRefusalSchema } from "../../gen/chillybin/v2/chillybin_pb.js";
import type { ChillybinClients } from "./chillybin-client.js";

/**
 * The codes chillybin refuses an order with that the caller should see as they
 * are. INVALID_ARGUMENT: jafflr validates the order itself, so what chillybin
 * refuses is what came from the caller (an Idempotency-Key reused for a
 * different toastie).
 */
const PASSED_THROUGH = new Set([Code.NotFound, Code.FailedPrecondition, Code.InvalidArgument]);
/**
 * The call ran out of time (the caller's deadline, or jafflr's own for
 * chillybin) or the caller went away: said as it is. Not UNAVAILABLE, which
 * tells retry policies the call is safe to repeat: the order may have been taken.
 */
const OUT_OF_TIME = new Set([Code.DeadlineExceeded, Code.Canceled]);

/** Turns chillybin's answer to a toastie's order into jafflr's, naming the refused ingredient when there is one. */
export function pickFailure(error: unknown): ConnectError {
  const cause = ConnectError.from(error);
  if (PASSED_THROUGH.has(cause.code)) {
    // chillybin's StockRefusal detail goes on to jafflr's callers too.
    // Which ingredient, from chillybin's StockRefusal detail: never from the message, which may be reworded.
    const refusals = cause.findDetails(StockRefusalSchema);
    const details = refusals.map((value) => ({ desc: StockRefusalSchema, value }));
    const what = refusals[0]?.ingredient ?? (cause.code === Code.InvalidArgument ? "the toastie's ingredients" : "the order");
    return new ConnectError(`cannot pick ${what}: ${cause.rawMessage}`, cause.code, undefined, details, cause);
  }
  if (OUT_OF_TIME.has(cause.code)) {
    return new ConnectError(`stopped picking the toastie's ingredients: ${cause.rawMessage}`, cause.code, undefined, undefined, cause);
  }
  if (cause.code === Code.Unavailable) {
    return new ConnectError(`chillybin is unavailable (picking the toastie's ingredients): ${cause.rawMessage}`, Code.Unavailable, undefined, undefined, cause);
  }
  return new ConnectError(`chillybin failed picking the toastie's ingredients: ${cause.rawMessage}`, Code.Internal, undefined, undefined, cause);
}

/** How one toastie's ingredients are picked from chillybin. */
export interface PickPlan {
  /** Ingredient → how many. */
  picks: ReadonlyMap<string, number>;
  /** Who the orders are recorded for. */
  customer: string;
  /** What the order is for, recorded with it (e.g. "toastie, well done"): covered by the key with the rest. */
  reference: string;
  /** The toastie's Idempotency-Key: passed on, so a retried toastie takes its ingredients once. */
  idempotencyKey?: string;
}

function withKey(options: CallOptions, key: string | undefined): CallOptions {
  return key ? { ...options, headers: { ...(options.headers as Record<string, string> | undefined), [IDEMPOTENCY_KEY_HEADER]: key } } : options;
}

/**
 * One chillybin PickOrder takes every ingredient of the toastie or none, in
 * one transaction, and records an order per ingredient: a toastie that
 * cannot be made takes nothing. Answers the order ids in the plan's order,
 * matched by the ingredient each order names (not by position).
 */
export async function takeOrder(chillybin: ChillybinClients, plan: PickPlan, options: CallOptions): Promise<bigint[]> {
  const items = [...plan.picks].map(([ingredient, quantity]) => ({ ingredient, quantity }));
  let orders: ReadonlyArray<{ ingredient: string; id: bigint }>;
  try {
    ({ orders } = await chillybin.v2.pickOrder({ customer: plan.customer, items, reference: plan.reference }, withKey(options, plan.idempotencyKey)));
  } catch (error) {
    throw pickFailure(error);
  }
  const idOf = new Map(orders.map((order) => [order.ingredient, order.id]));
  return items.map(({ ingredient }) => {
    const id = idOf.get(ingredient);
    // A chillybin that breaks the contract: the pact pins one order per item, each naming its ingredient.
    if (id === undefined) throw new ConnectError(`chillybin answered the toastie's order without an order for ${ingredient}`, Code.Internal);
    return id;
  });
}

/**
 * Picks every ingredient of a toastie from chillybin: the one call jafflr
 * makes to chillybin (the contract tests, test/contract, drive it). It gets
 * what is left of the caller's deadline (or `ownTimeoutMs`, if sooner) and is
 * cancelled when the caller goes away; the order commits whole or not at all.
 */
export function pickIngredients(chillybin: ChillybinClients, plan: PickPlan, caller: Caller, ownTimeoutMs: number): Promise<bigint[]> {
  return takeOrder(chillybin, plan, callOptionsFor(caller, ownTimeoutMs));
}
