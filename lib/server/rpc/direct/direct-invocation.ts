import type { DescMethodUnary, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type MethodImplSpec } from "@connectrpc/connect";
import { CallsInFlight } from "./call-context.js";
import { invokeUnaryImplementation } from "../../../connect-internals.js";
import { type NodeRequest, type NodeResponse, toFetchHeaders } from "../../../http/index.js";
import type { RpcOptions } from "../rpc-options.js";

// Calls a unary method's implementation the way Connect's handlers do: a
// HandlerContext (call-context.ts: the deadline, the caller going away, the
// server giving up draining), the router's
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
  private readonly calls: CallsInFlight;

  /** The router's own options: the same interceptors, gate, shutdown signal and deadline cap as Connect's handlers. */
  constructor(readonly options: RpcOptions) {
    this.calls = new CallsInFlight(options.shutdownSignal);
  }

  async invoke(spec: UnarySpec, input: unknown, call: DirectCall): Promise<DirectOutcome> {
    const { res } = call;
    const context = this.calls.start({
      service: spec.method.parent,
      method: spec.method,
      requestMethod: "POST",
      protocolName: call.protocolName,
      url: call.url,
      timeoutMs: call.timeoutMs,
      requestHeader: call.requestHeader,
      responseHeader: call.responseHeader,
      responseTrailer: call.responseTrailer,
      values: call.contextValues,
    });
    // The caller resetting its stream, or closing its connection, cancels the call, as in Connect's handlers.
    const onClose = () => {
      if (!res.writableEnded) context.abort(new ConnectError("the client cancelled the call", Code.Canceled));
    };
    res.once("close", onClose);
    try {
      if (this.options.requestGate) await this.options.requestGate(context);
      return { context, output: await invokeUnaryImplementation(spec, context, input as never, this.options.interceptors) };
    } catch (error) {
      context.abort(error);
      return { context, error: error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error) };
    } finally {
      res.off("close", onClose);
      // With a reason made once: abort() without one builds a DOMException, stack and all, for every call.
      context.end(CALL_ENDED);
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
