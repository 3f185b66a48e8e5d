import type { DescMethodUnary, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type ContextValues, type HandlerContext, type MethodImplSpec } from "@connectrpc/connect";
import { invokeUnaryImplementation } from "../../../connect-internals.js";
import { type NodeRequest, type NodeResponse, toFetchHeaders } from "../../../http/index.js";
import type { RpcOptions } from "../rpc-options.js";

// Calls a unary method's implementation the way Connect's handlers do: a
// HandlerContext from Connect's public createHandlerContext (the deadline,
// the caller going away, the server giving up draining), the router's
// requestGate, then invokeUnaryImplementation (the router's interceptors,
// outermost first). The direct paths (unary-grpc.ts, unary-connect.ts, REST)
// frame what it answers.

export type UnarySpec = MethodImplSpec & { kind: "unary" };

export interface DirectCall {
  req: NodeRequest;
  res: NodeResponse;
  contextValues: ContextValues;
  /** "grpc", "grpc-web" or "connect", as Connect's handlers name themselves. */
  protocolName: string;
  url: string;
  timeoutMs: number | undefined;
  /** The request headers the implementation sees. */
  requestHeader: Headers;
  responseHeader: HeadersInit;
  responseTrailer?: HeadersInit;
}

export interface DirectOutcome {
  context: HandlerContext;
  /** The answer, or the error (a ConnectError; anything else became INTERNAL, as in Connect). */
  output?: MessageShape<DescMethodUnary["output"]>;
  error?: ConnectError;
}

/** Why a finished call's signal is aborted (nobody should still be listening by then). */
const CALL_ENDED = new ConnectError("the call has ended", Code.Canceled);

export class DirectInvoker {
  /** The router's own options: the same interceptors, gate, shutdown signal and deadline cap as Connect's handlers. */
  constructor(readonly options: RpcOptions) {}

  async invoke(spec: UnarySpec, input: unknown, call: DirectCall): Promise<DirectOutcome> {
    const { res } = call;
    // The caller resetting its stream, or closing its connection, cancels the call, as in Connect's handlers.
    const caller = new AbortController();
    const onClose = () => {
      if (!res.writableEnded) caller.abort(new ConnectError("the client cancelled the call", Code.Canceled));
    };
    res.once("close", onClose);
    const context = createHandlerContext({
      ...spec,
      service: spec.method.parent,
      requestMethod: "POST",
      protocolName: call.protocolName,
      url: call.url,
      timeoutMs: call.timeoutMs,
      shutdownSignal: this.options.shutdownSignal,
      requestSignal: caller.signal,
      requestHeader: call.requestHeader,
      responseHeader: call.responseHeader,
      responseTrailer: call.responseTrailer,
      contextValues: call.contextValues,
    });
    try {
      if (this.options.requestGate) await this.options.requestGate(context);
      return { context, output: await invokeUnaryImplementation(spec, context, input as never, this.options.interceptors) };
    } catch (error) {
      context.abort(error);
      return { context, error: error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error) };
    } finally {
      res.off("close", onClose);
      // Clears the deadline's timer and unlinks the call from the server's shutdown signal. With a
      // reason made once: abort() without one builds a DOMException, stack and all, for every call.
      context.abort(CALL_ENDED);
    }
  }
}

/** The request's headers as Connect-Node gives them to handlers: without HTTP/2's pseudo-headers. */
export function requestHeaders(req: NodeRequest): Headers {
  return toFetchHeaders(req.headers);
}

/** A request header's (first) value, or null: what Connect's protocol helpers take. */
export function firstHeader(req: NodeRequest, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
