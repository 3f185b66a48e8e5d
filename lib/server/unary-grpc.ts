import { fromBinary, toBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import type { ConnectError, ContextValues } from "@connectrpc/connect";
import { contentTypeProto, headerGrpcMessage, parseContentType, parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { grpcPercentEncode } from "./grpc-message-encoding.js";
import type { NodeRequest, NodeResponse } from "./h1-h2c-server.js";
import { requestHeaders, type DirectInvoker, type UnarySpec } from "./direct-invocation.js";
import { readWholeBody } from "./whole-body.js";

// Why this exists: Connect-ES's gRPC handler runs every call, unary ones too,
// as a pipeline of async iterables (split envelopes, decompress, parse,
// invoke, serialize, join), built from down-levelled async generators, with
// a promise and an allocation per step. Measured on a 2-core machine with
// h2load (npm run bench): Connect-Node answered a unary gRPC Pick ~1,100
// times a second at a full core; Node's own http2 with the same Pick code
// ~5,000. gRPC, the protocol these services exist for, was the slowest way in.
//
// So the common case, one uncompressed binary message to a unary method over
// HTTP/2, is read whole and handed to Connect's own unary invocation
// (invokeUnaryImplementation: the same interceptors; a HandlerContext with
// the same deadline, cancellation and shutdown), and answered with Connect's own trailer encoding
// (setTrailerStatus: grpc-status, grpc-message, grpc-status-details-bin).
// Anything else (JSON, compression, a malformed or oversized body, a bad
// grpc-timeout) replays what was read into Connect's handler, which answers
// exactly as it always did. invokeUnaryImplementation and setTrailerStatus are
// marked internal by Connect: package.json pins Connect's exact version, and
// the gRPC tests (grpc-js, raw frames, deadlines, details) run on this path.

/** The gRPC envelope header: one flags byte, then the message length (big-endian uint32). */
const ENVELOPE_HEADER = 5;

export interface UnaryGrpcOptions {
  /** The largest message accepted (Connect's readMaxBytes); larger ones go to Connect, which refuses them. */
  readMaxBytes: number;
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

/** Whether a request can take the direct path: HTTP/2, POST, binary gRPC, no message compression. */
export function isPlainUnaryGrpc(req: NodeRequest): boolean {
  if (req.httpVersionMajor !== 2 || req.method !== "POST") return false;
  const type = parseContentType(req.headers["content-type"] ?? null);
  if (!type?.binary) return false;
  const encoding = req.headers["grpc-encoding"];
  return encoding === undefined || encoding === "identity";
}

/** Answers unary gRPC calls of one method directly (see above); everything unusual goes to Connect. */
export function createUnaryGrpcHandler(spec: UnarySpec, invoker: DirectInvoker, options: UnaryGrpcOptions): (call: UnaryGrpcCall) => void {
  const method = spec.method as DescMethodUnary;
  const url = `/${method.parent.typeName}/${method.name}`;
  return (call) => {
    const { req } = call;
    const timeout = parseTimeout(header(req, "grpc-timeout"), Number.MAX_SAFE_INTEGER); // Connect's default: no cap
    if (timeout.error) return call.fallback([]);
    void readWholeBody(req, call.admitBytes, options.readMaxBytes + ENVELOPE_HEADER).then(async (body) => {
      // Too large for one message: Connect reads on and refuses it in its own words.
      if (body.kind === "too-long") return call.fallback(body.read);
      if (body.kind === "refused") return answer(call, undefined, body.error);
      if (body.kind === "failed") return call.onWriteError(body.error);
      const message = singleMessage(body.bytes);
      if (!message) return call.fallback([body.bytes]);
      let input;
      try {
        input = fromBinary(method.input, message);
      } catch {
        return call.fallback([body.bytes]); // Connect says why, naming the field (decoding-errors.ts)
      }
      const outcome = await invoker.invoke(spec, input, {
        req,
        res: call.res,
        contextValues: call.contextValues,
        protocolName: "grpc",
        url,
        timeoutMs: timeout.timeoutMs,
        requestHeader: requestHeaders(req),
        responseHeader: { "content-type": contentTypeProto },
        responseTrailer: { "grpc-status": "0" },
      });
      answer(call, outcome.context, outcome.error, outcome.output && toBinary(method.output, outcome.output));
    }).catch(call.onWriteError);
  };
}

/** The message of a body that is exactly one uncompressed envelope, or undefined. */
function singleMessage(body: Buffer): Uint8Array | undefined {
  if (body.length < ENVELOPE_HEADER || body[0] !== 0) return undefined;
  if (body.readUInt32BE(1) !== body.length - ENVELOPE_HEADER) return undefined;
  return body.subarray(ENVELOPE_HEADER);
}

/** Writes the answer: the message (if any) in one envelope, the status in trailers. */
function answer(call: UnaryGrpcCall, context: { responseHeader: Headers; responseTrailer: Headers } | undefined, error?: ConnectError, message?: Uint8Array): void {
  const { res } = call;
  if (res.writableEnded || res.destroyed) return;
  const header = context?.responseHeader ?? new Headers({ "content-type": contentTypeProto });
  const trailer = context?.responseTrailer ?? new Headers();
  setTrailerStatus(trailer, error);
  // The gRPC spec's percent-encoding, which every client decodes (see grpc-message-encoding.ts).
  if (error) trailer.set(headerGrpcMessage, grpcPercentEncode(error.rawMessage));
  try {
    res.writeHead(200, Object.fromEntries(header));
    res.addTrailers(Object.fromEntries(trailer));
    if (message) {
      const envelope = Buffer.allocUnsafe(ENVELOPE_HEADER + message.byteLength);
      envelope[0] = 0;
      envelope.writeUInt32BE(message.byteLength, 1);
      envelope.set(message, ENVELOPE_HEADER);
      res.end(envelope);
    } else res.end();
  } catch (writeError) {
    call.onWriteError(writeError);
  }
}

function header(req: NodeRequest, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** The chunks already read, then the rest of the request. */
export async function* replay(read: Uint8Array[], rest: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* read;
  yield* rest;
}
