import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

// A request's id, from the caller (x-request-id) or made here, kept for
// everything the request starts: log lines carry it, and the clients a
// service uses pass it on (lib/client/propagate-request-id.ts), so one toastie
// can be followed through jafflr's and chillybin's logs.

/** The header that carries a request id from caller to service, and on to the services it calls. */
export const REQUEST_ID_HEADER = "x-request-id";

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
