import * as http2 from "node:http2";
import { create, fromBinary, isMessage, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type ContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { CONNECT_MAX_BYTES, connectCompressions } from "../connect-defaults.js";
import { envelopeDecompress, grpcRequestHeaderWithCompression, grpcValidateResponseWithCompression, grpcValidateTrailer } from "../connect-internals.js";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { toFetchHeaders } from "../http/index.js";
import { connectErrorFromNode, connectErrorFromResetCode } from "./node-call-errors.js";

// Why this exists: the client side of Connect-ES's gRPC protocol runs each
// unary call through the same pipeline of down-levelled async generators as
// its server side (see lib/server/rpc/direct/unary-grpc.ts), and jafflr, which makes one
// such call per toastie, spent most of its CPU there. This transport sends a
// unary call as one write on a stream of Connect-Node's own HTTP/2 session
// manager and reads the answer whole, with Connect's own pieces around it
// (lib/connect-internals.ts): the interceptors, deadline and cancellation as
// Connect's runUnaryCall applies them; gRPC's request headers, grpc-accept-encoding
// included; the answer's status, encoding, trailers and error details; a
// compressed answer decompressed; Connect's read and write limits, in its
// words. Streaming calls, which jafflr does not make, go to `streaming`.
// DIRECT_PATHS without "client" makes jafflr use Connect's gRPC transport.

/** The gRPC envelope header: one flags byte, then the message length. */
const ENVELOPE_HEADER = 5;

export interface UnaryGrpcTransportOptions {
  baseUrl: string;
  sessionManager: Http2SessionManager;
  interceptors: Interceptor[];
  /** The transport for streaming calls. */
  streaming: Transport;
  /** What answers may be compressed with (grpc-accept-encoding); Connect's default: gzip and br. */
  acceptCompression?: Compression[];
  /** The largest answer read (Connect's default: ~4 GiB); a larger one is RESOURCE_EXHAUSTED, and the stream is cancelled. */
  readMaxBytes?: number;
  /** The largest request sent (Connect's default: ~4 GiB); a larger one is RESOURCE_EXHAUSTED, never sent. */
  writeMaxBytes?: number;
}

/** What one call needs of the transport's options, Connect's defaults filled in. */
interface CallLimits {
  acceptCompression: Compression[];
  readMaxBytes: number;
  writeMaxBytes: number;
}

/** A Transport whose unary calls are gRPC over one HTTP/2 session, sent and read whole. */
export function createUnaryGrpcTransport(options: UnaryGrpcTransportOptions): Transport {
  const base = options.baseUrl.replace(/\/$/, "");
  const limits: CallLimits = {
    acceptCompression: options.acceptCompression ?? connectCompressions(),
    readMaxBytes: options.readMaxBytes ?? CONNECT_MAX_BYTES,
    writeMaxBytes: options.writeMaxBytes ?? CONNECT_MAX_BYTES,
  };
  // The interceptors around the call, the first outermost (as Connect's applyInterceptors).
  const send = options.interceptors.reduceRight<UnaryFn>(
    (next, interceptor) => interceptor(next as never) as UnaryFn,
    (req) => call(options.sessionManager, limits, req),
  );
  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      timeoutMs = timeoutMs !== undefined && timeoutMs <= 0 ? undefined : timeoutMs;
      // What Connect's runUnaryCall does, with one AbortController and no
      // abort (so no AbortError built) when the call ends normally.
      const controller = new AbortController();
      const onCallerAbort = () => controller.abort(ConnectError.from(signal!.reason, Code.Canceled));
      if (signal?.aborted) onCallerAbort();
      else signal?.addEventListener("abort", onCallerAbort);
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
      try {
        return (await send({
          stream: false,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: `${base}/${method.parent.typeName}/${method.name}`,
          header: grpcRequestHeaderWithCompression(true, timeoutMs, header, limits.acceptCompression, null),
          contextValues: contextValues ?? createContextValues(),
          message: isMessage(input, method.input) ? input : create(method.input, input),
          signal: controller.signal,
        } as UnaryRequest)) as UnaryResponse<I, O>;
      } catch (error) {
        // A call cut short says why it was (the deadline, the caller), as Connect's transports do.
        throw controller.signal.aborted ? ConnectError.from(controller.signal.reason, Code.Canceled) : ConnectError.from(error);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onCallerAbort);
      }
    },
    stream: (...args) => options.streaming.stream(...args),
  };
}

type UnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;

/** Sends one call on its own stream and reads its answer whole. */
function call<I extends DescMessage, O extends DescMessage>(
  sessions: Http2SessionManager,
  limits: CallLimits,
  req: UnaryRequest<I, O>,
): Promise<UnaryResponse<I, O>> {
  const path = `/${req.method.parent.typeName}/${req.method.name}`;
  const message = toBinary(req.method.input, req.message as MessageShape<I>);
  if (message.byteLength > limits.writeMaxBytes) {
    // Connect's words (assertWriteMaxBytes); nothing was sent.
    return Promise.reject(
      new ConnectError(`message size ${message.byteLength} is larger than configured writeMaxBytes ${limits.writeMaxBytes}`, Code.ResourceExhausted),
    );
  }
  const body = Buffer.allocUnsafe(ENVELOPE_HEADER + message.byteLength);
  body[0] = 0;
  body.writeUInt32BE(message.byteLength, 1);
  body.set(message, ENVELOPE_HEADER);
  const headers: http2.OutgoingHttpHeaders = {};
  req.header.forEach((value, key) => {
    headers[key] = value;
  });
  return new Promise<UnaryResponse<I, O>>((resolve, reject) => {
    let settled = false;
    const fail = (reason: unknown) => {
      if (settled) return;
      settled = true;
      reject(connectErrorFromNode(reason));
    };
    if (req.signal.aborted) return fail(req.signal.reason);
    sessions.request("POST", path, headers, {}).then((stream) => {
      const onAbort = () => {
        fail(req.signal.reason);
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      req.signal.addEventListener("abort", onAbort, { once: true });
      const chunks: Buffer[] = [];
      let received = 0;
      let sizeChecked = false;
      let status = 0;
      const responseHeader = new Headers();
      const trailer = new Headers();
      stream.on("response", (h) => {
        status = Number(h[":status"] ?? 0);
        toFetchHeaders(h, undefined, responseHeader);
      });
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        sessions.notifyResponseByteRead(stream);
        // An answer larger than the limit is not read on: the stream is cancelled (Connect's words, assertReadMaxBytes).
        if (!sizeChecked && received >= ENVELOPE_HEADER) {
          sizeChecked = true;
          const size = Buffer.concat(chunks, ENVELOPE_HEADER).readUInt32BE(1);
          if (size > limits.readMaxBytes) {
            fail(new ConnectError(`message size ${size} is larger than configured readMaxBytes ${limits.readMaxBytes}`, Code.ResourceExhausted));
            stream.close(http2.constants.NGHTTP2_CANCEL);
          }
        }
      });
      stream.on("trailers", (h) => toFetchHeaders(h, undefined, trailer));
      stream.on("error", fail);
      stream.on("close", () => {
        req.signal.removeEventListener("abort", onAbort);
        if (settled) return;
        read().then((message) => {
          if (settled) return;
          settled = true;
          resolve({ stream: false, service: req.service, method: req.method, header: responseHeader, message, trailer });
        }, fail);
      });
      /** The answer's one message, as Connect's gRPC transport reads it (status, encoding, trailers, the envelope). */
      async function read(): Promise<MessageShape<O>> {
        const reset = connectErrorFromResetCode(stream.rstCode);
        if (reset) throw reset;
        const { headerError, compression } = grpcValidateResponseWithCompression(limits.acceptCompression, status, responseHeader);
        if (headerError) throw headerError; // a trailers-only error
        grpcValidateTrailer(trailer, responseHeader);
        const answer = Buffer.concat(chunks);
        if (answer.length === 0)
          throw new ConnectError("protocol error: missing output message for unary method", trailer.has("grpc-status") ? Code.Unimplemented : Code.Unknown);
        if (answer.length < ENVELOPE_HEADER || answer.readUInt32BE(1) !== answer.length - ENVELOPE_HEADER)
          throw new ConnectError("protocol error: the answer is not one message", Code.Internal);
        const { data } = await envelopeDecompress({ flags: answer[0]!, data: answer.subarray(ENVELOPE_HEADER) }, compression ?? null, limits.readMaxBytes);
        return fromBinary(req.method.output, data);
      }
      stream.end(body);
    }, fail);
  });
}
