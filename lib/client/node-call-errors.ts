import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

// How a failed HTTP/2 call becomes a code, the way Connect-Node's own client
// says it (its node-error.ts, which the package does not export), so that
// callers (and the circuit breaker, see resilient-calls.ts) see the same
// codes and messages whichever transport made the call.

/** The Node error codes, anywhere in the chain of causes, that say which Connect code a failure is. */
const CODE_OF_NODE_ERROR: ReadonlyArray<[Code, readonly string[]]> = [
  // The server answered and ended the stream while we still wrote: its answer wins.
  [Code.Aborted, ["ERR_STREAM_WRITE_AFTER_END"]],
  // The stream or connection went away under the call.
  [Code.Aborted, ["ERR_STREAM_DESTROYED", "ERR_HTTP2_INVALID_STREAM", "ECONNRESET"]],
  // The server could not be reached: nothing was sent.
  [Code.Unavailable, ["ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED"]],
];

/** A Node error (or a chain of them) as a ConnectError, the original kept as its cause. */
export function connectErrorFromNode(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  const codes: string[] = [];
  for (let e: unknown = reason; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) codes.push(code);
  }
  const code = CODE_OF_NODE_ERROR.find(([, names]) => names.some((n) => codes.includes(n)))?.[0] ?? Code.Internal;
  return new ConnectError(reason instanceof Error ? reason.message : String(reason), code, undefined, undefined, reason);
}

/** HTTP/2 reset codes (by nghttp2's name) and what they mean for a call. */
const RESET_CODES: ReadonlyArray<[string, Code]> = [
  ["PROTOCOL_ERROR", Code.Internal],
  ["INTERNAL_ERROR", Code.Internal],
  ["FLOW_CONTROL_ERROR", Code.Internal],
  ["SETTINGS_TIMEOUT", Code.Internal],
  ["FRAME_SIZE_ERROR", Code.Internal],
  ["COMPRESSION_ERROR", Code.Internal],
  ["CONNECT_ERROR", Code.Internal],
  ["REFUSED_STREAM", Code.Unavailable],
  ["CANCEL", Code.Canceled],
  ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  ["INADEQUATE_SECURITY", Code.PermissionDenied],
  ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
];
const RESETS: ReadonlyMap<number, [string, Code]> = new Map(
  RESET_CODES.map(([name, code]) => [(http2.constants as unknown as Record<string, number>)[`NGHTTP2_${name}`]!, [name, code]]),
);

/** The error a stream reset with `rstCode` means, or undefined (NO_ERROR, STREAM_CLOSED: gRPC reads the status instead). */
export function connectErrorFromResetCode(rstCode: number): ConnectError | undefined {
  const reset = RESETS.get(rstCode);
  if (!reset) return undefined;
  return new ConnectError(`http/2 stream closed with error code ${reset[0]} (0x${rstCode.toString(16)})`, reset[1]);
}
