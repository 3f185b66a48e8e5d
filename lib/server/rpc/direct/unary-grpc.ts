import type { DescMethodUnary } from "@bufbuild/protobuf";
import { ConnectError, type ContextValues } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import {
  compressionNegotiate,
  createMethodSerializationLookup,
  grpcParseContentType,
  grpcParseTimeout,
  grpcSetTrailerStatus,
  grpcWebParseContentType,
  grpcWebTrailerSerialize,
} from "../../../connect-internals.js";
import { grpcPercentEncode } from "../grpc-message-encoding.js";
import { type NodeRequest, type NodeResponse, writeHead } from "../../../http/index.js";
import { firstHeader, requestHeaders, type DirectInvoker, type UnarySpec } from "./direct-invocation.js";
import type { RpcOptions } from "../rpc-options.js";
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
// (grpcSetTrailerStatus: grpc-status, grpc-message, grpc-status-details-bin; for
// gRPC-Web, grpcWebTrailerSerialize into the final envelope) and Connect's response
// compression.
// Anything else (JSON, compression, a malformed or oversized body, a bad
// grpc-timeout) replays what was read into Connect's handler, which answers
// exactly as it always did. The Connect internals this uses are listed, with
// why, in lib/connect-internals.ts; DIRECT_PATHS turns this path off.

/** The gRPC envelope header: one flags byte, then the message length (big-endian uint32). */
const ENVELOPE_HEADER = 5;
/** Envelope flags: a compressed message; gRPC-Web's trailers. */
const COMPRESSED = 0b0000_0001;
const GRPC_WEB_TRAILERS = 0b1000_0000;

/** gRPC, or gRPC-Web (trailers in the body's last envelope, for HTTP/1.1 and browsers). */
export type GrpcProtocol = "grpc" | "grpc-web";

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
  const type = (web ? grpcWebParseContentType : grpcParseContentType)(firstHeader(req, "content-type"));
  if (!type?.binary || ("text" in type && type.text)) return false; // gRPC-Web's base64 text form: Connect's
  const encoding = firstHeader(req, "grpc-encoding");
  return encoding === null || encoding === "identity";
}

/** Answers unary gRPC (or gRPC-Web) calls of one method directly (see above); everything unusual goes to Connect. */
export function createUnaryGrpcHandler(spec: UnarySpec, invoker: DirectInvoker, options: RpcOptions, protocol: GrpcProtocol): (call: UnaryGrpcCall) => void {
  const method = spec.method as DescMethodUnary;
  const url = `/${method.parent.typeName}/${method.name}`;
  const web = protocol === "grpc-web";
  const contentType = web ? "application/grpc-web+proto" : "application/grpc+proto";
  // Connect's own binary serialization, with the router's limits: the same errors for a message too large to answer.
  const serialization = createMethodSerializationLookup(method, undefined, undefined, options);
  const parse = serialization.getI(true);
  const serialize = serialization.getO(true);
  return (call) => {
    const { req } = call;
    const timeout = grpcParseTimeout(firstHeader(req, "grpc-timeout"), options.maxTimeoutMs);
    if (timeout.error) return call.fallback([]); // Connect refuses it in its own words
    const compression = compressionNegotiate(options.acceptCompression, null, firstHeader(req, "grpc-accept-encoding"), "Grpc-Accept-Encoding");
    const responseHeader = new Headers({ "content-type": contentType });
    if (compression.response) responseHeader.set("grpc-encoding", compression.response.name);
    const write = (header: Headers, trailer: Headers, error?: ConnectError, message?: Uint8Array) =>
      answer(call, web, options.compressMinBytes, compression.response, header, trailer, error, message);
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
          input = parse.parse(message);
        } catch {
          return call.fallback([body.bytes]); // Connect says why, naming the field (decoding-errors.ts)
        }
        const outcome = await invoker.invoke(spec, input, {
          req,
          res: call.res,
          contextValues: call.contextValues,
          protocolName: protocol,
          url,
          timeoutMs: timeout.timeoutMs,
          requestHeader: requestHeaders(req),
          responseHeader,
          responseTrailer: { "grpc-status": "0" },
        });
        const { context, error, output } = outcome;
        if (error) return write(context.responseHeader, context.responseTrailer, error);
        let bytes: Uint8Array;
        try {
          bytes = serialize.serialize(output!);
        } catch (e) {
          return write(context.responseHeader, context.responseTrailer, ConnectError.from(e)); // over writeMaxBytes, say
        }
        await write(context.responseHeader, context.responseTrailer, undefined, bytes);
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
  web: boolean,
  compressMinBytes: number,
  compression: Compression | null,
  header: Headers,
  trailer: Headers,
  error?: ConnectError,
  message?: Uint8Array,
): Promise<void> {
  const { res } = call;
  grpcSetTrailerStatus(trailer, error);
  // gRPC's spec percent-encoding, which every gRPC client decodes (see grpc-message-encoding.ts); gRPC-Web keeps Connect's.
  if (error && !web) trailer.set("grpc-message", grpcPercentEncode(error.rawMessage));
  const envelopes = message ? [await envelope(0, message, compression, compressMinBytes)] : [];
  if (web) envelopes.push(await envelope(GRPC_WEB_TRAILERS, grpcWebTrailerSerialize(trailer), compression, compressMinBytes));
  if (res.writableEnded || res.destroyed) return;
  writeHead(res, 200, Object.fromEntries(header));
  if (!web) res.addTrailers(Object.fromEntries(trailer));
  if (envelopes.length === 0) res.end();
  else res.end(envelopes.length === 1 ? envelopes[0]! : Buffer.concat(envelopes));
}

/** The chunks already read, then the rest of the request. */
export async function* replay(read: Uint8Array[], rest: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* read;
  yield* rest;
}
