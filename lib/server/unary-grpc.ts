import { fromBinary, toBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type Interceptor, type MethodImplSpec } from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";
import { contentTypeProto, headerGrpcMessage, parseContentType, parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { grpcPercentEncode } from "./grpc-message-encoding.js";
import type { NodeRequest, NodeResponse } from "./h1-h2c-server.js";

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
  /** The router's interceptors, outermost first: the same ones Connect applies. */
  interceptors: Interceptor[];
  shutdownSignal: AbortSignal;
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
export function createUnaryGrpcHandler(spec: MethodImplSpec & { kind: "unary" }, options: UnaryGrpcOptions): (call: UnaryGrpcCall) => void {
  const method = spec.method as DescMethodUnary;
  const url = `/${method.parent.typeName}/${method.name}`;
  // Calls in progress, aborted together when the server gives up draining:
  // one listener on the shutdown signal, not one per call.
  const inProgress = new Set<AbortController>();
  options.shutdownSignal.addEventListener("abort", () => {
    for (const call of inProgress) call.abort(options.shutdownSignal.reason);
  });

  return (call) => {
    const { req } = call;
    const timeout = parseTimeout(header(req, "grpc-timeout"), Number.MAX_SAFE_INTEGER); // Connect's default: no cap
    if (timeout.error) return call.fallback([]);
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      try {
        call.admitBytes(chunk.byteLength);
      } catch (error) {
        stop();
        req.resume(); // drop the rest of the body
        return answer(call, undefined, ConnectError.from(error));
      }
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length > options.readMaxBytes + ENVELOPE_HEADER) {
        // Too large for one message: Connect reads on and refuses it in its own words.
        stop();
        req.pause();
        call.fallback(chunks);
      }
    };
    const onEnd = () => {
      stop();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      const message = singleMessage(body);
      if (!message) return call.fallback([body]);
      let input;
      try {
        input = fromBinary(method.input, message);
      } catch {
        return call.fallback([body]); // Connect says why, naming the field (decoding-errors.ts)
      }
      invoke(call, input, timeout.timeoutMs).catch(call.onWriteError);
    };
    const onError = (error: Error) => {
      stop();
      call.onWriteError(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  };

  async function invoke(call: UnaryGrpcCall, input: unknown, timeoutMs: number | undefined): Promise<void> {
    const { req, res } = call;
    const controller = new AbortController();
    inProgress.add(controller);
    if (options.shutdownSignal.aborted) controller.abort(options.shutdownSignal.reason);
    // The caller resetting its stream cancels the call, as in Connect's handler.
    const onClose = () => {
      if (!res.writableEnded) controller.abort(new ConnectError("the client cancelled the call", Code.Canceled));
    };
    req.once("close", onClose);
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const timer = deadline === undefined ? undefined : setTimeout(() => controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
    // What createHandlerContext builds, with one AbortController instead of three linked ones.
    const context: HandlerContext = {
      method,
      service: method.parent,
      requestMethod: "POST",
      protocolName: "grpc",
      url,
      signal: controller.signal,
      timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
      requestHeader: new Headers(webHeaders(req)),
      responseHeader: new Headers({ "content-type": contentTypeProto }),
      responseTrailer: new Headers({ "grpc-status": "0" }),
      values: call.contextValues,
    };
    try {
      const output = await invokeUnaryImplementation(spec, context, input as never, options.interceptors);
      answer(call, context, undefined, toBinary(method.output, output));
    } catch (error) {
      answer(call, context, error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error));
    } finally {
      req.off("close", onClose);
      clearTimeout(timer);
      inProgress.delete(controller);
    }
  }
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

/** The request's headers as Headers entries, without HTTP/2's pseudo-headers (as Connect-Node does). */
function webHeaders(req: NodeRequest): [string, string][] {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) entries.push([name, v]);
    else entries.push([name, String(value)]);
  }
  return entries;
}

/** The chunks already read, then the rest of the request. */
export async function* replay(read: Uint8Array[], rest: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* read;
  yield* rest;
}
