import type { Interceptor } from "@connectrpc/connect";
import { currentRequestId, REQUEST_ID_HEADER } from "../request-id.js";

/**
 * For clients a service uses: passes the current request's id on, so one
 * toastie can be followed through jafflr's and chillybin's logs.
 */
export const propagateRequestId: Interceptor = (next) => (req) => {
  const id = currentRequestId();
  if (id && !req.header.has(REQUEST_ID_HEADER)) req.header.set(REQUEST_ID_HEADER, id);
  return next(req);
};
