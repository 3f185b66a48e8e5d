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
import { grpcRequestHeader, grpcValidateResponse, grpcValidateTrailer } from "../connect-internals.js";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { toFetchHeaders } from "../http/node-http.js";
import { connectErrorFromNode, connectErrorFromResetCode } from "./node-call-errors.js";

// Why this exists: the client side of Connect-ES's gRPC protocol runs each
// unary call through the same pipeline of down-levelled async generators as
// its server side (see lib/server/unary-grpc.ts), and jafflr, which makes one
// such call per toastie, spent most of its CPU there. This transport sends a
// unary call as one write on a stream of Connect-Node's own HTTP/2 session
// manager and reads the answer whole, with Connect's own pieces around it:
// the interceptors, deadline and cancellation as Connect's runUnaryCall
// applies them, grpcRequestHeader (gRPC's request headers), grpcValidateResponse and
// grpcValidateTrailer (status, trailers, error details). Streaming calls, which jafflr does not make, go to
// `streaming`.

/** The gRPC envelope header: one flags byte, then the message length. */
const ENVELOPE_HEADER = 5;

export interface UnaryGrpcTransportOptions {
  baseUrl: string;
  sessionManager: Http2SessionManager;
  interceptors: Interceptor[];
  /** The transport for streaming calls. */
  streaming: Transport;
}

/** A Transport whose unary calls are gRPC over one HTTP/2 session, sent and read whole. */
export function createUnaryGrpcTransport(options: UnaryGrpcTransportOptions): Transport {
  const base = options.baseUrl.replace(/\/$/, "");
  // The interceptors around the call, the first outermost (as Connect's applyInterceptors).
  const send = options.interceptors.reduceRight<UnaryFn>(
    (next, interceptor) => interceptor(next as never) as UnaryFn,
    (req) => call(options.sessionManager, req),
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
          header: grpcRequestHeader(true, timeoutMs, header),
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
function call<I extends DescMessage, O extends DescMessage>(sessions: Http2SessionManager, req: UnaryRequest<I, O>): Promise<UnaryResponse<I, O>> {
  const path = `/${req.method.parent.typeName}/${req.method.name}`;
  const message = toBinary(req.method.input, req.message as MessageShape<I>);
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
      let status = 0;
      const responseHeader = new Headers();
      const trailer = new Headers();
      stream.on("response", (h) => {
        status = Number(h[":status"] ?? 0);
        toFetchHeaders(h, undefined, responseHeader);
      });
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        sessions.notifyResponseByteRead(stream);
      });
      stream.on("trailers", (h) => toFetchHeaders(h, undefined, trailer));
      stream.on("error", fail);
      stream.on("close", () => {
        req.signal.removeEventListener("abort", onAbort);
        if (settled) return;
        try {
          const reset = connectErrorFromResetCode(stream.rstCode);
          if (reset) throw reset;
          const { headerError } = grpcValidateResponse(status, responseHeader);
          if (headerError) throw headerError; // a trailers-only error
          grpcValidateTrailer(trailer, responseHeader);
          const answer = Buffer.concat(chunks);
          if (answer.length === 0)
            throw new ConnectError("protocol error: missing output message for unary method", trailer.has("grpc-status") ? Code.Unimplemented : Code.Unknown);
          if (answer[0] !== 0 || answer.readUInt32BE(1) !== answer.length - ENVELOPE_HEADER)
            throw new ConnectError("protocol error: the answer is not one uncompressed message", Code.Internal);
          settled = true;
          resolve({
            stream: false,
            service: req.service,
            method: req.method,
            header: responseHeader,
            message: fromBinary(req.method.output, answer.subarray(ENVELOPE_HEADER)),
            trailer,
          });
        } catch (error) {
          fail(error);
        }
      });
      stream.end(body);
    }, fail);
  });
}
