import type * as http from "node:http";
import * as http2 from "node:http2";

/** A request from either of Node's servers: HTTP/1.1 or HTTP/2 (its compatibility API). */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A response of either of Node's servers. */
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/**
 * `res.writeHead(status, headers)` for either kind of response. Both kinds
 * overload writeHead, and TypeScript cannot call a union of overloaded
 * methods, so the call is made on the narrowed type.
 */
export function writeHead(res: NodeResponse, status: number, headers: http.OutgoingHttpHeaders): void {
  if (res instanceof http2.Http2ServerResponse) res.writeHead(status, headers);
  else res.writeHead(status, headers);
}

/**
 * Node's header object (either server's request, or an HTTP/2 response's
 * headers and trailers) as fetch Headers: pseudo-headers (":status",
 * ":path") and names `skip` holds left out, repeated values appended.
 */
export function toFetchHeaders(from: http.IncomingHttpHeaders | http2.IncomingHttpHeaders, skip?: ReadonlySet<string>, to = new Headers()): Headers {
  for (const [name, value] of Object.entries(from)) {
    if (name.startsWith(":") || value === undefined || skip?.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) to.append(name, String(v));
  }
  return to;
}
