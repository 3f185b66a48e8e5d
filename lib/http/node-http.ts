import type * as http from "node:http";
import * as http2 from "node:http2";

/** A request from either of Node's servers: HTTP/1.1 or HTTP/2 (its compatibility API). */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** A response of either of Node's servers. */
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** Answers one request, whichever HTTP version it came in on. */
export type RequestHandler = (req: NodeRequest, res: NodeResponse) => void;

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

/** Node's errors for writing to a stream or connection the other side has reset or closed. */
const PEER_GONE = new Set(["ERR_HTTP2_INVALID_STREAM", "ERR_HTTP2_STREAM_ERROR", "ERR_STREAM_DESTROYED", "ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE"]);

/**
 * Whether writing a response failed because its client went away (reset its
 * stream, closed its connection): not a server error. An HTTP/2 response has
 * no `destroyed` of its own (its stream does), and a library may wrap Node's
 * error (Connect's ConnectError keeps it as the cause), so both are looked at.
 */
export function clientWentAway(req: NodeRequest, res: NodeResponse, error: unknown): boolean {
  if (res.destroyed || req.destroyed || ("stream" in res && res.stream?.destroyed)) return true;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (PEER_GONE.has((e as NodeJS.ErrnoException).code ?? "")) return true;
  }
  return false;
}
