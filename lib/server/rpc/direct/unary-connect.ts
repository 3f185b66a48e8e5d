import type { DescMethodUnary } from "@bufbuild/protobuf";
import { ConnectError, type ContextValues } from "@connectrpc/connect";
import {
  codeToHttpStatus,
  compressionNegotiate,
  connectParseContentType,
  connectParseTimeout,
  createMethodSerializationLookup,
  errorToJsonBytes,
  mergeNonProtocolHeaders,
  trailerMux,
} from "../../../connect-internals.js";
import { firstHeader, requestHeaders, type DirectInvoker, type UnarySpec } from "./direct-invocation.js";
import { type NodeRequest, type NodeResponse, writeHead } from "../../../http/index.js";
import type { RpcOptions } from "../rpc-options.js";
import { readWholeBody } from "./whole-body.js";

// Connect's unary protocol (POST application/proto or application/json), the
// direct way, for the reasons in unary-grpc.ts: the body read whole with
// 'data' events, Connect's own serialization, invocation (DirectInvoker),
// error JSON, trailer headers and response compression. A compressed request,
// a protocol version other than 1, a bad connect-timeout-ms, a body Connect
// would refuse to parse or one over the limit goes to Connect's handler with
// what was read, so that Connect answers it in its own words.

/** Connect's unary content types. */
const CONTENT_TYPE_PROTO = "application/proto";
const CONTENT_TYPE_JSON = "application/json";

export interface UnaryConnectCall {
  req: NodeRequest;
  res: NodeResponse;
  contextValues: ContextValues;
  admitBytes: (bytes: number) => void;
  /** Hands the request to Connect's handler, with the body bytes already read replayed in front. */
  fallback: (read: Uint8Array[]) => void;
  onWriteError: (error: unknown) => void;
}

/** Whether a request can take the direct path: a unary Connect POST, uncompressed, protocol version 1 or unsaid. */
export function isPlainUnaryConnect(req: NodeRequest): boolean {
  if (req.method !== "POST") return false;
  const type = connectParseContentType(firstHeader(req, "content-type"));
  if (!type || type.stream) return false;
  const encoding = firstHeader(req, "content-encoding");
  if (encoding !== null && encoding !== "identity") return false;
  const version = firstHeader(req, "connect-protocol-version");
  return version === null || version === "1";
}

/** Answers unary Connect calls of one method directly; everything unusual goes to Connect. */
export function createUnaryConnectHandler(spec: UnarySpec, invoker: DirectInvoker, options: RpcOptions): (call: UnaryConnectCall) => void {
  const method = spec.method as DescMethodUnary;
  const url = `/${method.parent.typeName}/${method.name}`;
  const serialization = createMethodSerializationLookup(method, undefined, options.jsonOptions, options);
  return (call) => {
    const { req, res } = call;
    const binary = connectParseContentType(firstHeader(req, "content-type"))!.binary;
    const timeout = connectParseTimeout(firstHeader(req, "connect-timeout-ms"), options.maxTimeoutMs);
    if (timeout.error) return call.fallback([]);
    const compression = compressionNegotiate(options.acceptCompression, null, firstHeader(req, "accept-encoding"), "Accept-Encoding");
    void readWholeBody(req, call.admitBytes, options.readMaxBytes)
      .then(async (body) => {
        if (body.kind === "too-long") return call.fallback(body.read);
        if (body.kind === "failed") return call.onWriteError(body.error);
        const responseHeader = new Headers({ "content-type": binary ? CONTENT_TYPE_PROTO : CONTENT_TYPE_JSON });
        if (body.kind === "refused") return write(res, responseHeader, new Headers(), body.error, undefined);
        let input: unknown;
        try {
          input = serialization.getI(binary).parse(body.bytes);
        } catch {
          return call.fallback([body.bytes]); // Connect says why, naming the field (decoding-errors.ts)
        }
        const outcome = await invoker.invoke(spec, input, {
          req,
          res,
          contextValues: call.contextValues,
          protocolName: "connect",
          url,
          timeoutMs: timeout.timeoutMs,
          requestHeader: requestHeaders(req),
          responseHeader,
        });
        let { error } = outcome;
        let answer: Uint8Array | undefined;
        try {
          if (!error) answer = serialization.getO(binary).serialize(outcome.output!);
        } catch (e) {
          error = ConnectError.from(e); // over writeMaxBytes, say
        }
        await write(res, outcome.context.responseHeader, outcome.context.responseTrailer, error, answer);
      })
      .catch(call.onWriteError);

    /** Writes the answer as Connect's unary handler does: the message, or the error as JSON with its HTTP status. */
    async function write(
      res: NodeResponse,
      responseHeader: Headers,
      trailer: Headers,
      error: ConnectError | undefined,
      message: Uint8Array | undefined,
    ): Promise<void> {
      let status = 200;
      let bytes = message!;
      if (error) {
        status = codeToHttpStatus(error.code);
        responseHeader.set("content-type", CONTENT_TYPE_JSON);
        // What the error carries, but never in place of a protocol header; an error relayed from another service brings none.
        if (!error.isWireError) mergeNonProtocolHeaders(responseHeader, error.metadata);
        bytes = errorToJsonBytes(error, options.jsonOptions);
      }
      if (compression.response && bytes.byteLength >= options.compressMinBytes) {
        bytes = await compression.response.compress(bytes);
        responseHeader.set("content-encoding", compression.response.name);
      }
      const headers = trailerMux(responseHeader, trailer);
      headers.set("content-length", String(bytes.byteLength));
      if (res.writableEnded || res.destroyed) return;
      writeHead(res, status, Object.fromEntries(headers));
      res.end(bytes);
    }
  };
}
