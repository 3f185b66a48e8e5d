import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
} from "cockatiel";

export interface ResilienceOptions {
  /** Names the service called, for messages. */
  target: string;
  /** Extra attempts for a call that never reached the server (connection refused). */
  retries?: number;
  /** Consecutive unavailable answers that open the circuit. */
  breakAfter?: number;
  /** How long the circuit stays open before one call may try again. */
  halfOpenAfterMs?: number;
}

/**
 * HTTP/2 REFUSED_STREAM: the server did not process the request (RFC 9113,
 * 8.7), e.g. one that is shutting down. Connect-Node reports it as INTERNAL
 * when the stream's error event comes before its close event.
 */
function refusedStream(error: unknown): boolean {
  return anyCause(error, (e) => e.message.includes("REFUSED_STREAM"));
}

/** True when the error says the request cannot have reached the server (or was refused unprocessed), so a retry is safe. */
export function neverSent(error: unknown): boolean {
  return anyCause(error, (e) => (e as NodeJS.ErrnoException).code === "ECONNREFUSED") || refusedStream(error);
}

/** Whether the error, or any error in its chain of causes, passes `test`. */
function anyCause(error: unknown, test: (e: Error) => boolean): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (test(e)) return true;
  return false;
}

/**
 * Failures that say the server is not there (as opposed to answers such as
 * NOT_FOUND): unavailable, too slow, or the connection reset under the call.
 */
function unavailable(error: Error): boolean {
  const code = ConnectError.from(error).code;
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Canceled;
}

/**
 * A client interceptor for calls to another service: a retry with
 * exponential backoff only where it is safe (the request was never sent, so a
 * non-idempotent call cannot happen twice), and a circuit breaker that, after
 * `breakAfter` unavailable answers in a row, fails calls at once with
 * UNAVAILABLE instead of letting each wait for its deadline, and lets one
 * through after `halfOpenAfterMs` to find out whether the service is back.
 */
export function resilientCalls(options: ResilienceOptions): Interceptor & { breaker: CircuitBreakerPolicy } {
  const retries = retry(handleWhen(neverSent), {
    maxAttempts: options.retries ?? 2,
    backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
  });
  const breaker = circuitBreaker(handleWhen(unavailable), {
    halfOpenAfter: options.halfOpenAfterMs ?? 2_000,
    breaker: new ConsecutiveBreaker(options.breakAfter ?? 5),
  });
  const policy = wrap(breaker, retries);
  const interceptor: Interceptor = (next) => async (req) => {
    const attempt = () =>
      next(req).catch((error: unknown) => {
        // An unprocessed request is the service being unavailable, whatever code the transport gave it.
        if (refusedStream(error) && ConnectError.from(error).code !== Code.Unavailable) {
          throw new ConnectError(`${options.target} refused the request unprocessed (it is shutting down?)`, Code.Unavailable, undefined, undefined, error);
        }
        throw error;
      });
    try {
      return await policy.execute(attempt);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ConnectError(`${options.target} is unavailable: the circuit is open after repeated failures; trying again shortly`, Code.Unavailable);
      }
      throw error;
    }
  };
  return Object.assign(interceptor, { breaker });
}
