import { Code, ConnectError, createContextKey, createContextValues, type CallOptions, type HandlerContext } from "@connectrpc/connect";

/** The part of a server call's context that a call made on its behalf inherits. */
export type Caller = Pick<HandlerContext, "signal" | "timeoutMs">;

/** On a call made for a caller: the caller's signal, and whether the caller's deadline is the call's. */
export interface OnBehalfOf {
  signal: AbortSignal;
  /** True when the call's timeout is what was left of the caller's deadline (not the service's own, shorter one). */
  deadlineIsCallers: boolean;
}

/** Read by resilientCalls, so that what the caller did is never held against the service called. */
export const onBehalfOfKey = createContextKey<OnBehalfOf | undefined>(undefined);

/**
 * Options for a call made while serving `caller`: it is cancelled when the
 * caller goes away, and its deadline is the caller's remaining time or
 * `ownTimeoutMs`, whichever comes first, so the service called (which gets
 * it as connect-timeout-ms / grpc-timeout) stops when nobody waits any more.
 * A caller already gone or out of time gets its CANCELED or DEADLINE_EXCEEDED
 * here, before anything is sent.
 */
export function callOptionsFor(caller: Caller, ownTimeoutMs: number): CallOptions {
  if (caller.signal.aborted) throw ConnectError.from(caller.signal.reason);
  // Whole milliseconds: the protocols' timeouts are integers (grpc-timeout "296.9m" is refused).
  const left = caller.timeoutMs();
  const remaining = left === undefined ? undefined : Math.floor(left);
  if (remaining !== undefined && remaining <= 0) throw new ConnectError("the deadline ran out", Code.DeadlineExceeded);
  const deadlineIsCallers = remaining !== undefined && remaining <= ownTimeoutMs;
  return {
    signal: caller.signal,
    timeoutMs: deadlineIsCallers ? remaining : ownTimeoutMs,
    contextValues: createContextValues().set(onBehalfOfKey, { signal: caller.signal, deadlineIsCallers }),
  };
}

/**
 * The caller's own code when a call failed because of the caller (it went
 * away, or its deadline ran out), or undefined when the failure is the
 * service's. A call without a caller (onBehalfOf undefined) has only the
 * service to blame.
 */
export function callerCode(error: unknown, onBehalfOf: OnBehalfOf | undefined): Code | undefined {
  if (!onBehalfOf) return undefined;
  const code = ConnectError.from(error).code;
  if (code !== Code.Canceled && code !== Code.DeadlineExceeded) return undefined;
  if (onBehalfOf.signal.aborted) return ConnectError.from(onBehalfOf.signal.reason).code;
  return code === Code.DeadlineExceeded && onBehalfOf.deadlineIsCallers ? Code.DeadlineExceeded : undefined;
}
