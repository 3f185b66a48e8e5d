import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";

/** The header that carries a request id from caller to service, and on to the services it calls. */
export const REQUEST_ID_HEADER = "x-request-id";

/** The header a client sets so that a retry of the same call happens once (chillybin keeps the first answer). */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** The longest Idempotency-Key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Why an Idempotency-Key is refused, or undefined when it is fine (absent, or 1 to 200 characters). */
export function idempotencyKeyProblem(key: string | null): string | undefined {
  if (key === null || (key.length > 0 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH)) return undefined;
  return `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
}

const requestIds = new AsyncLocalStorage<string>();

/** A caller's id when it is a sensible token; a new one otherwise. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Runs `work` (and everything it starts) as part of the request with this id. */
export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return requestIds.run(requestId, work);
}

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return requestIds.getStore();
}

/**
 * For clients a service uses: passes the current request's id on, so one
 * toastie can be followed through jafflr's and chillybin's logs.
 */
export const propagateRequestId: Interceptor = (next) => (req) => {
  const id = currentRequestId();
  if (id && !req.header.has(REQUEST_ID_HEADER)) req.header.set(REQUEST_ID_HEADER, id);
  return next(req);
};
