import { Code, ConnectError, type ContextValues, type HandlerContext } from "@connectrpc/connect";

// A direct call's HandlerContext, with the same behaviour as the one Connect's
// public createHandlerContext makes, for less. Connect's makes, for every call,
// three AbortControllers (the deadline's, one linking the deadline, the caller
// and the server's shutdown, and the caller's own) and adds and removes an
// EventTarget listener on each signal it links, then copies every header set
// into new Headers: about 5% of chillybin's CPU under gRPC Pick load, the
// largest single part of a direct call (docs/performance.md, issue 26).
// Here a call has one AbortController; its deadline is one timer (only when the
// caller gave one); the caller going away aborts it directly; and the server's
// shutdown aborts every call in flight from one listener (CallsInFlight). The
// signal's reasons are Connect's: "the operation timed out" (DEADLINE_EXCEEDED)
// for the deadline, the shutdown signal's reason for the shutdown.

/** Aborts every call in flight when the server gives up draining (one listener on its shutdown signal for all of them). */
export class CallsInFlight {
  private readonly calls = new Set<AbortController>();

  constructor(private readonly shutdownSignal: AbortSignal) {
    shutdownSignal.addEventListener("abort", () => {
      for (const call of this.calls) call.abort(shutdownSignal.reason);
    });
  }

  /** Calls started and not yet ended. */
  get count(): number {
    return this.calls.size;
  }

  /** A call's context, in flight until `end()`. */
  start(init: DirectCallInit): DirectCallContext {
    const context = new DirectCallContext(init, this.calls);
    if (this.shutdownSignal.aborted) context.abort(this.shutdownSignal.reason);
    return context;
  }
}

export interface DirectCallInit {
  service: HandlerContext["service"];
  method: HandlerContext["method"];
  protocolName: string;
  requestMethod: string;
  url: string;
  /** The caller's deadline, from now; undefined: none. */
  timeoutMs: number | undefined;
  requestHeader: Headers;
  responseHeader: HeadersInit;
  responseTrailer?: HeadersInit;
  values: ContextValues;
}

/**
 * Its own state is in #private fields: Connect hands implementations a copy of the context made
 * with Object.assign (invoke-implementation.ts, mergeRequest), which takes own properties only, so
 * the copy carries the HandlerContext and nothing of how it is kept.
 */
export class DirectCallContext implements HandlerContext {
  readonly service: HandlerContext["service"];
  readonly method: HandlerContext["method"];
  readonly protocolName: string;
  readonly requestMethod: string;
  readonly url: string;
  readonly requestHeader: Headers;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
  readonly values: ContextValues;
  readonly #controller = new AbortController();
  readonly #inFlight: Set<AbortController>;
  #deadlineAt: number | undefined;
  readonly #deadlineTimer: NodeJS.Timeout | undefined;

  constructor(init: DirectCallInit, inFlight: Set<AbortController>) {
    this.service = init.service;
    this.method = init.method;
    this.protocolName = init.protocolName;
    this.requestMethod = init.requestMethod;
    this.url = init.url;
    this.requestHeader = init.requestHeader;
    this.responseHeader = new Headers(init.responseHeader);
    this.responseTrailer = new Headers(init.responseTrailer);
    this.values = init.values;
    this.#inFlight = inFlight;
    inFlight.add(this.#controller);
    if (init.timeoutMs !== undefined) {
      this.#deadlineAt = Date.now() + init.timeoutMs;
      if (init.timeoutMs <= 0) this.abort(deadlineExceeded());
      else
        this.#deadlineTimer = setTimeout(() => {
          // Node may fire a timer a millisecond before Date.now() reaches it: the deadline has passed all the same.
          this.#deadlineAt = Math.min(this.#deadlineAt!, Date.now());
          this.abort(deadlineExceeded());
        }, init.timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  // An own property, not a method, for the same reason: the implementation's copy must have it.
  readonly timeoutMs = (): number | undefined => (this.#deadlineAt === undefined ? undefined : this.#deadlineAt - Date.now());

  /** Aborts the call's signal with `reason` (the first reason wins), as Connect's context controller does. */
  abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** The call is over: its deadline timer cleared, the shutdown forgets it, its signal aborted with `reason` (nobody should still listen). */
  end(reason: unknown): void {
    clearTimeout(this.#deadlineTimer);
    this.#inFlight.delete(this.#controller);
    this.abort(reason);
  }
}

/** Connect's reason for a deadline that passed (protocol/signals.ts, createDeadlineSignal). */
function deadlineExceeded(): ConnectError {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}
