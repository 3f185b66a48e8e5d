import { fromBinary, toBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import type { ConnectError, ContextValues } from "@connectrpc/connect";
import { compressionNegotiate, type Compression } from "@connectrpc/connect/protocol";
import * as grpc from "@connectrpc/connect/protocol-grpc";
import * as grpcWeb from "@connectrpc/connect/protocol-grpc-web";
import { grpcPercentEncode } from "./grpc-message-encoding.js";
import { type NodeRequest, type NodeResponse, writeHead } from "../http/node-http.js";
import { firstHeader, requestHeaders, type DirectInvoker, type UnarySpec } from "./direct-invocation.js";
import { readWholeBody } from "./whole-body.js";

// Why this exists: Connect-ES's gRPC handler runs every call, unary ones too,
// as a pipeline of async iterables (split envelopes, decompress, parse,
// invoke, serialize, join), built from down-levelled async generators, with
// a promise and an allocation per step. Measured on a 2-core machine with
// h2load (npm run bench): Connect-Node answered a unary gRPC Pick ~1,100
// times a second at a full core; Node's own http2 with the same Pick code
// ~5,000. gRPC, the protocol these services exist for, was the slowest way in.
//
// So the common case, one uncompressed binary message to a unary method (gRPC
// over HTTP/2; gRPC-Web over either HTTP version), is read whole and handed to Connect's own unary invocation
// (invokeUnaryImplementation: the same interceptors; a HandlerContext with
// the same deadline, cancellation and shutdown), and answered with Connect's own trailer encoding
// (setTrailerStatus: grpc-status, grpc-message, grpc-status-details-bin; for
// gRPC-Web, trailerSerialize into the final envelope) and Connect's response
// compression.
// Anything else (JSON, compression, a malformed or oversized body, a bad
// grpc-timeout) replays what was read into Connect's handler, which answers
// exactly as it always did. invokeUnaryImplementation and setTrailerStatus are
// marked internal by Connect: package.json pins Connect's exact version, and
// the gRPC tests (grpc-js, raw frames, deadlines, details) run on this path.

/** The gRPC envelope header: one flags byte, then the message length (big-endian uint32). */
const ENVELOPE_HEADER = 5;
/** Envelope flags: a compressed message; gRPC-Web's trailers. */
const COMPRESSED = 0b0000_0001;

export interface UnaryGrpcOptions {
  /** gRPC-Web: trailers in the body's last envelope, for HTTP/1.1 and browsers. */
  web: boolean;
  /** The largest message accepted (Connect's readMaxBytes); larger ones go to Connect, which refuses them. */
  readMaxBytes: number;
  /** What responses may be compressed with, as the router accepts. */
  acceptCompression: Compression[];
  /** Messages smaller than this are not compressed (Connect's default: 1 KiB). */
  compressMinBytes: number;
}

/** Hands a request to Connect's handler, with the body bytes already read (`read`) replayed in front of the rest. */
export type ConnectFallback = (read: Uint8Array[]) => void;

export interface UnaryGrpcCall {
  req: NodeRequest;
  res: NodeResponse;
  contextValues: ContextValues;
  /** Counts body bytes against the server's budgets; throws RESOURCE_EXHAUSTED when over. */
  admitBytes: (bytes: number) => void;
  fallback: ConnectFallback;
  /** Where a failure to write the answer goes (the client went away, most often). */
  onWriteError: (error: unknown) => void;
}

/** Whether a request can take the direct path: POST, binary gRPC over HTTP/2 or binary gRPC-Web, no message compression. */
export function isPlainUnaryGrpc(req: NodeRequest, web: boolean): boolean {
  if (req.method !== "POST" || (!web && req.httpVersionMajor !== 2)) return false;
  const type = (web ? grpcWeb : grpc).parseContentType(firstHeader(req, "content-type"));
  if (!type?.binary || ("text" in type && type.text)) return false; // gRPC-Web's base64 text form: Connect's
  const encoding = firstHeader(req, "grpc-encoding");
  return encoding === null || encoding === "identity";
}

/** Answers unary gRPC (or gRPC-Web) calls of one method directly (see above); everything unusual goes to Connect. */
export function createUnaryGrpcHandler(spec: UnarySpec, invoker: DirectInvoker, options: UnaryGrpcOptions): (call: UnaryGrpcCall) => void {
  const method = spec.method as DescMethodUnary;
  const url = `/${method.parent.typeName}/${method.name}`;
  const contentType = options.web ? grpcWeb.contentTypeProto : grpc.contentTypeProto;
  return (call) => {
    const { req } = call;
    const timeout = grpc.parseTimeout(firstHeader(req, "grpc-timeout"), Number.MAX_SAFE_INTEGER); // Connect's default: no cap
    if (timeout.error) return call.fallback([]);
    const compression = compressionNegotiate(options.acceptCompression, null, firstHeader(req, "grpc-accept-encoding"), "Grpc-Accept-Encoding");
    const responseHeader = new Headers({ "content-type": contentType });
    if (compression.response) responseHeader.set("grpc-encoding", compression.response.name);
    const write = (header: Headers, trailer: Headers, error?: ConnectError, message?: Uint8Array) =>
      answer(call, options, compression.response, header, trailer, error, message);
    void readWholeBody(req, call.admitBytes, options.readMaxBytes + ENVELOPE_HEADER)
      .then(async (body) => {
        // Too large for one message: Connect reads on and refuses it in its own words.
        if (body.kind === "too-long") return call.fallback(body.read);
        if (body.kind === "refused") return write(responseHeader, new Headers(), body.error);
        if (body.kind === "failed") return call.onWriteError(body.error);
        const message = singleMessage(body.bytes);
        if (!message) return call.fallback([body.bytes]);
        let input: unknown;
        try {
          input = fromBinary(method.input, message);
        } catch {
          return call.fallback([body.bytes]); // Connect says why, naming the field (decoding-errors.ts)
        }
        const outcome = await invoker.invoke(spec, input, {
          req,
          res: call.res,
          contextValues: call.contextValues,
          protocolName: options.web ? "grpc-web" : "grpc",
          url,
          timeoutMs: timeout.timeoutMs,
          requestHeader: requestHeaders(req),
          responseHeader,
          responseTrailer: { "grpc-status": "0" },
        });
        await write(outcome.context.responseHeader, outcome.context.responseTrailer, outcome.error, outcome.output && toBinary(method.output, outcome.output));
      })
      .catch(call.onWriteError);
  };
}

/** The message of a body that is exactly one uncompressed envelope, or undefined. */
function singleMessage(body: Buffer): Uint8Array | undefined {
  if (body.length < ENVELOPE_HEADER || body[0] !== 0) return undefined;
  if (body.readUInt32BE(1) !== body.length - ENVELOPE_HEADER) return undefined;
  return body.subarray(ENVELOPE_HEADER);
}

/** One envelope, its data compressed when the answer is and it is large enough (as Connect's transformCompressEnvelope). */
async function envelope(flags: number, data: Uint8Array, compression: Compression | null, minBytes: number): Promise<Buffer> {
  if (compression && data.byteLength >= minBytes) {
    data = await compression.compress(data);
    flags |= COMPRESSED;
  }
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, ENVELOPE_HEADER);
  return out;
}

/** Writes the answer: the message (if any) in one envelope, the status in trailers (gRPC) or the last envelope (gRPC-Web). */
async function answer(
  call: UnaryGrpcCall,
  options: UnaryGrpcOptions,
  compression: Compression | null,
  header: Headers,
  trailer: Headers,
  error?: ConnectError,
  message?: Uint8Array,
): Promise<void> {
  const { res } = call;
  grpc.setTrailerStatus(trailer, error);
  // gRPC's spec percent-encoding, which every gRPC client decodes (see grpc-message-encoding.ts); gRPC-Web keeps Connect's.
  if (error && !options.web) trailer.set(grpc.headerGrpcMessage, grpcPercentEncode(error.rawMessage));
  const envelopes = message ? [await envelope(0, message, compression, options.compressMinBytes)] : [];
  if (options.web) envelopes.push(await envelope(grpcWeb.trailerFlag, grpcWeb.trailerSerialize(trailer), compression, options.compressMinBytes));
  if (res.writableEnded || res.destroyed) return;
  writeHead(res, 200, Object.fromEntries(header));
  if (!options.web) res.addTrailers(Object.fromEntries(trailer));
  if (envelopes.length === 0) res.end();
  else res.end(envelopes.length === 1 ? envelopes[0]! : Buffer.concat(envelopes));
}

/** The chunks already read, then the rest of the request. */
export async function* replay(read: Uint8Array[], rest: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* read;
  yield* rest;
}
