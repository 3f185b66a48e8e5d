import { Code, ConnectError } from "@connectrpc/connect";
import { isDatabaseTimeout, stillWaiting, type WorkDeadline } from "../../lib/db/index.js";

// What a caller is told when its database work cannot be done for it in time,
// the same way on every path (batched or in its own transaction): it gave up
// (its own code: CANCELED, DEADLINE_EXCEEDED, UNAVAILABLE at shutdown), its
// deadline passed (DEADLINE_EXCEEDED), or the server's ceiling did
// (UNAVAILABLE: try again later, a lock is held too long or the database is slow).

/** Thrown inside a batch's transaction to roll it back and decide again (a caller stopped waiting before COMMIT). */
export const DECIDE_AGAIN = new Error("a caller stopped waiting before the batch committed");

/** Why a caller no longer waits for its work: its signal's reason, or the deadline it ran out of. */
export function stoppedWaiting(deadline: WorkDeadline): ConnectError {
  if (deadline.signal.aborted) return ConnectError.from(deadline.signal.reason, Code.Canceled);
  return deadline.callers
    ? new ConnectError("the deadline passed before the database could do the work", Code.DeadlineExceeded)
    : new ConnectError("the database did not do the work within DATABASE_TIMEOUT_MS (a lock held too long, or the database slow)", Code.Unavailable);
}

/** An error of the caller's work as the caller should hear it: a database timeout at its deadline is that deadline. */
export function asCallerSees(deadline: WorkDeadline, error: unknown): unknown {
  return isDatabaseTimeout(error) && !stillWaiting(deadline) ? stoppedWaiting(deadline) : error;
}

/** A caller waiting for a batch: answered once, with its outcome or why it stopped waiting, whichever comes first. */
export interface WaitingCaller<T> {
  deadline: WorkDeadline;
  /** Whether the caller has its answer. */
  answered: boolean;
  /** Answers the caller, once; later outcomes are dropped. */
  answer(outcome: T | Error): void;
}

/**
 * A caller joining a batch, with `what` it asks for: answered when it stops
 * waiting (then `onStop`, e.g. to leave the queue), or with the batch's outcome.
 */
export function waitingCaller<T, W extends object>(
  what: W,
  deadline: WorkDeadline,
  settle: { resolve: (outcome: T) => void; reject: (error: unknown) => void },
  onStop?: () => void,
): W & WaitingCaller<T> {
  const caller: W & WaitingCaller<T> = {
    ...what,
    deadline,
    answered: false,
    answer(outcome) {
      if (caller.answered) return;
      caller.answered = true;
      forget();
      if (outcome instanceof Error) settle.reject(outcome);
      else settle.resolve(outcome);
    },
  };
  const forget = whenStopsWaiting(deadline, () => {
    caller.answer(stoppedWaiting(deadline));
    onStop?.();
  });
  return caller;
}

/** Answers the callers of a batch that no longer wait (why they stopped), and gives those still waiting. */
export function stillWaitingIn<C extends WaitingCaller<unknown>>(batch: C[]): C[] {
  for (const caller of batch) if (!caller.answered && !stillWaiting(caller.deadline)) caller.answer(stoppedWaiting(caller.deadline));
  return batch.filter((caller) => !caller.answered);
}

/**
 * Calls `stop` once when the caller stops waiting (its signal, or its deadline
 * passing), and answers a function that forgets it (call it when the work is done).
 */
export function whenStopsWaiting(deadline: WorkDeadline, stop: () => void): () => void {
  const timer = setTimeout(stop, Math.max(0, deadline.at - Date.now()));
  deadline.signal.addEventListener("abort", stop, { once: true });
  return () => {
    clearTimeout(timer);
    deadline.signal.removeEventListener("abort", stop);
  };
}
