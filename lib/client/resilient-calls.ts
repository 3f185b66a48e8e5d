import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry, wrap, type CircuitBreakerPolicy } from "cockatiel";
import { callerCode, onBehalfOfKey } from "./caller-deadline.js";

export interface ResilienceOptions {
  /** Names the service called, for messages. */
  target: string;
  /** Extra attempts for a call that never reached the server (connection refused). */
  retries?: number;
  /** Consecutive failures that say the service is unhealthy that open the circuit. */
  breakAfter?: number;
  /** How long the circuit stays open before one call may try again. */
  halfOpenAfterMs?: number;
}

/**
 * Marks a call as a health probe (set it in the call's contextValues): it
 * goes out once, as it is, and its failure is not counted by the breaker. A
 * probe asks whether the service is up; it must see the truth, and polling it
 * while the service starts must not open the circuit for the calls that serve
 * callers (it did: npm start's first toasties failed "circuit is open").
 */
export const healthProbe = createContextKey(false, { description: "a health probe: not retried, not counted by the circuit breaker" });

/** Whether the error, or any error in its chain of causes, passes `test`. */
function anyCause(error: unknown, test: (e: Error) => boolean): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (test(e)) return true;
  return false;
}

/**
 * HTTP/2 REFUSED_STREAM: the server did not process the request (RFC 9113,
 * 8.7), e.g. one that is shutting down. Connect-Node reports it as INTERNAL
 * when the stream's error event comes before its close event.
 */
function refusedStream(error: unknown): boolean {
  return anyCause(error, (e) => e.message.includes("REFUSED_STREAM"));
}

/**
 * Connect-Node destroys a connection whose server sent GOAWAY while none of
 * our streams was open on it (a server closing an idle connection, or
 * restarting); a call that was about to use it fails with this CANCELED
 * without anything having been sent.
 */
function goawayWithoutStreams(error: unknown): boolean {
  return anyCause(error, (e) => e.message.includes("received GOAWAY without any open streams"));
}

/** True when the error says the request cannot have reached the server (or was refused unprocessed), so a retry is safe. */
export function neverSent(error: unknown): boolean {
  return anyCause(error, (e) => (e as NodeJS.ErrnoException).code === "ECONNREFUSED") || refusedStream(error) || goawayWithoutStreams(error);
}

/**
 * What the service called did wrong, as opposed to the caller we serve.
 * Thrown inside the policies only: the breaker counts these, and nothing else.
 */
class ServiceFailure extends Error {
  constructor(readonly error: ConnectError) {
    super(error.message, { cause: error });
  }
}

/**
 * Failures that say the service is unhealthy: unavailable (connection refused
 * or reset, a refused stream), a stream it cut (CANCELED we did not ask for),
 * or its own timeout running out while our caller still had time.
 */
function unhealthy(error: ConnectError): boolean {
  return error.code === Code.Unavailable || error.code === Code.DeadlineExceeded || error.code === Code.Canceled;
}

/**
 * A client interceptor for calls to another service: a retry with
 * exponential backoff only where it is safe (the request was never sent, so a
 * non-idempotent call cannot happen twice), and a circuit breaker that, after
 * `breakAfter` failures in a row that say the service is unhealthy, fails
 * calls at once with UNAVAILABLE instead of letting each wait for its
 * deadline, and lets one through after `halfOpenAfterMs` to find out whether
 * the service is back. What our caller did (went away, ran out of time; see
 * callOptionsFor) and the service's refusals (NOT_FOUND, INVALID_ARGUMENT…)
 * never count: no client can open the circuit for the others.
 */
export function resilientCalls(options: ResilienceOptions): Interceptor & { breaker: CircuitBreakerPolicy } {
  const retries = retry(handleWhen(neverSent), {
    maxAttempts: options.retries ?? 2,
    backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
  });
  const breaker = circuitBreaker(
    handleWhen((e) => e instanceof ServiceFailure),
    {
      halfOpenAfter: options.halfOpenAfterMs ?? 2_000,
      breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
    },
  );
  const policy = wrap(breaker, retries);
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.contextValues.get(healthProbe)) return next(req);
    const onBehalfOf = req.contextValues.get(onBehalfOfKey);
    const attempt = () =>
      next(req).catch((raw: unknown) => {
        const error = ConnectError.from(raw);
        const callers = callerCode(error, onBehalfOf);
        if (callers !== undefined) throw new ConnectError(error.rawMessage, callers, undefined, undefined, raw);
        // An unprocessed request is the service being unavailable, whatever code the transport gave it.
        if ((refusedStream(raw) || goawayWithoutStreams(raw)) && error.code !== Code.Unavailable) {
          throw new ServiceFailure(
            new ConnectError(`${options.target} refused the request unprocessed (it is shutting down?)`, Code.Unavailable, undefined, undefined, raw),
          );
        }
        // A stream cut under the call without our caller asking is the connection failing.
        if (error.code === Code.Canceled)
          throw new ServiceFailure(new ConnectError(`${options.target} closed the call: ${error.rawMessage}`, Code.Unavailable, undefined, undefined, raw));
        throw unhealthy(error) ? new ServiceFailure(error) : raw;
      });
    try {
      return await policy.execute(attempt);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ConnectError(`${options.target} is unavailable: the circuit is open after repeated failures; trying again shortly`, Code.Unavailable);
      }
      throw error instanceof ServiceFailure ? error.error : error;
    }
  };
  return Object.assign(interceptor, { breaker });
}
