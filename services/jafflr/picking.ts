import { Code, ConnectError, type CallOptions } from "@connectrpc/connect";
import { callOptionsFor, type Caller } from "../../lib/client/caller-deadline.js";
import { IDEMPOTENCY_KEY_HEADER } from "../../lib/server/index.js";
import { StockRefusal_Reason, StockRefusalSchema, type StockRefusal } from "../../gen/chillybin/v2/chillybin_pb.js";
import type { ChillybinClients } from "./chillybin-client.js";

/** The codes chillybin refuses a pick with that the caller should see as they are. */
const PASSED_THROUGH = new Set([Code.NotFound, Code.FailedPrecondition]);
/**
 * The call ran out of time (the caller's deadline, or jafflr's own for
 * chillybin) or the caller went away: said as it is. Not UNAVAILABLE, which
 * tells retry policies the call is safe to repeat: a pick may have happened.
 */
const OUT_OF_TIME = new Set([Code.DeadlineExceeded, Code.Canceled]);

/** Turns chillybin's refusal of a call into jafflr's answer, naming what it was doing ("picking cheese", "checking the stock"). */
export function pickFailure(ingredient: string, error: unknown, doing = "picking"): ConnectError {
  const cause = ConnectError.from(error);
  if (PASSED_THROUGH.has(cause.code)) {
    // chillybin's StockRefusal detail goes on to jafflr's callers too.
    const details = cause.findDetails(StockRefusalSchema).map((value) => ({ desc: StockRefusalSchema, value }));
    return new ConnectError(`cannot pick ${ingredient}: ${cause.rawMessage}`, cause.code, undefined, details, cause);
  }
  if (OUT_OF_TIME.has(cause.code)) {
    return new ConnectError(`stopped ${doing} ${ingredient}: ${cause.rawMessage}`, cause.code, undefined, undefined, cause);
  }
  if (cause.code === Code.Unavailable) {
    return new ConnectError(`chillybin is unavailable (${doing} ${ingredient}): ${cause.rawMessage}`, Code.Unavailable, undefined, undefined, cause);
  }
  return new ConnectError(`chillybin failed ${doing} ${ingredient}: ${cause.rawMessage}`, Code.Internal, undefined, undefined, cause);
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
/** The ingredient a refusal names, from its StockRefusal detail (never from the message, which may be reworded). */
function refusedIngredient(error: unknown): string {
  return ConnectError.from(error).findDetails(StockRefusalSchema)[0]?.ingredient || "the order";
}

/** A refusal as chillybin would have sent it, StockRefusal detail included. */
function refusal(code: Code, message: string, detail: Pick<StockRefusal, "ingredient" | "reason" | "wanted" | "available">): ConnectError {
  return new ConnectError(`cannot pick ${detail.ingredient}: ${message}`, code, undefined, [{ desc: StockRefusalSchema, value: detail }]);
}

/** v2: one PickOrder takes every ingredient or none (a toastie that cannot be made takes nothing) and records the orders. */
export async function takeWithV2(chillybin: ChillybinClients, plan: PickPlan, options: CallOptions): Promise<bigint[]> {
  const items = [...plan.picks].map(([ingredient, quantity]) => ({ ingredient, quantity }));
  try {
    return (await chillybin.v2.pickOrder({ customer: plan.customer, items }, withKey(options, plan.idempotencyKey))).ids;
  } catch (error) {
    throw pickFailure(refusedIngredient(error), error);
  }
}

/**
 * v1 cannot take several ingredients in one call. So that a toastie chillybin
 * cannot make takes nothing, its stock is read first (one GetStock) and a
 * toastie it cannot cover is refused before any pick, with the answer the
 * picks would have given: NOT_FOUND for an unknown ingredient,
 * FAILED_PRECONDITION for too little of one.
 */
export async function checkStockForV1(chillybin: ChillybinClients, plan: PickPlan, options: CallOptions): Promise<void> {
  let stock: Record<string, number>;
  try {
    stock = (await chillybin.v1.getStock({}, options)).stock;
  } catch (error) {
    throw pickFailure("the stock", error, "checking");
  }
  for (const [ingredient, quantity] of plan.picks) {
    const available = stock[ingredient];
    if (available === undefined) {
      throw refusal(Code.NotFound, `unknown ingredient "${ingredient}"`, { ingredient, reason: StockRefusal_Reason.UNKNOWN_INGREDIENT, wanted: quantity, available: 0 });
    }
    if (available < quantity) {
      throw refusal(Code.FailedPrecondition, `not enough ${ingredient}: wanted ${quantity}, ${available} in stock`, { ingredient, reason: StockRefusal_Reason.NOT_ENOUGH, wanted: quantity, available });
    }
  }
}

/** v1 (deprecated): one Pick per ingredient, in order, so a refusal after the check leaves the earlier picks taken. */
export async function takeWithV1(chillybin: ChillybinClients, plan: PickPlan, options: CallOptions): Promise<void> {
  for (const [ingredient, quantity] of plan.picks) {
    try {
      // One key per ingredient: each v1 pick is a call of its own.
      await chillybin.v1.pick({ name: ingredient, quantity }, withKey(options, plan.idempotencyKey && `${plan.idempotencyKey}:${ingredient}`));
    } catch (error) {
      throw pickFailure(ingredient, error);
    }
  }
}

/**
 * Picks every ingredient of a toastie from chillybin, answering the order ids
 * v2 recorded (none with v1). v2: one all-or-nothing PickOrder. v1: the stock
 * check, then a Pick per ingredient; a toastie it cannot cover takes nothing,
 * but a race with another toastie between the check and the picks can still
 * leave part taken (v1's limit, and why it is being retired). A retried v1
 * toastie (with an Idempotency-Key) skips the check: its first attempt may
 * have taken the last of something, and its picks answer as they first did.
 * These are every call jafflr makes to chillybin: the contract tests
 * (test/contract) drive each of them.
 *
 * Deadlines: each call gets what is left of the caller's deadline (or
 * `ownTimeoutMs`, if sooner) and is cancelled when the caller goes away, so a
 * toastie nobody waits for stops, all or nothing: v2's one PickOrder commits
 * whole or not at all, and v1's check takes nothing. v1's picks, once the
 * first is sent, run to the end under jafflr's own timeout only: stopping
 * between two would leave part of the toastie taken. A caller gone meanwhile
 * is told so when they are done (cooking does not start).
 */
export async function pickIngredients(chillybin: ChillybinClients, plan: PickPlan, caller: Caller, ownTimeoutMs: number): Promise<bigint[]> {
  if (plan.useV2) return takeWithV2(chillybin, plan, callOptionsFor(caller, ownTimeoutMs));
  if (!plan.idempotencyKey) await checkStockForV1(chillybin, plan, callOptionsFor(caller, ownTimeoutMs));
  callOptionsFor(caller, ownTimeoutMs); // the caller's deadline may have run out during the check: take nothing then
  await takeWithV1(chillybin, plan, { timeoutMs: ownTimeoutMs });
  return [];
}
