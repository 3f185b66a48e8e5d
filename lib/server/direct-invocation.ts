import type { DescMethodUnary, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type Interceptor, type MethodImplSpec } from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";
import { type NodeRequest, type NodeResponse, toFetchHeaders } from "../http/node-http.js";

// Calls a unary method's implementation the way Connect's handlers do
// (invokeUnaryImplementation: the router's interceptors, outermost first),
// with a HandlerContext that has what createHandlerContext gives it (the
// deadline, the caller going away, the server giving up draining), built
// with one AbortController instead of three linked ones. The direct paths
// (unary-grpc.ts, unary-connect.ts, REST) frame what it answers.

export type UnarySpec = MethodImplSpec & { kind: "unary" };

export interface DirectCall {
  req: NodeRequest;
  res: NodeResponse;
  contextValues: ContextValues;
  /** "grpc" or "connect", as Connect's handlers name themselves. */
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

export class DirectInvoker {
  /** Calls in progress, aborted together when the server gives up draining: one listener, not one per call. */
  private readonly inProgress = new Set<AbortController>();

  constructor(
    private readonly interceptors: Interceptor[],
    private readonly shutdownSignal: AbortSignal,
    /** The router's requestGate: Connect's handlers apply it, so the direct paths must too. */
    private readonly requestGate?: (context: HandlerContext) => void | Promise<void>,
  ) {
    shutdownSignal.addEventListener("abort", () => {
      for (const call of this.inProgress) call.abort(shutdownSignal.reason);
    });
  }

  async invoke(spec: UnarySpec, input: unknown, call: DirectCall): Promise<DirectOutcome> {
    const { res } = call;
    const method = spec.method;
    const controller = new AbortController();
    this.inProgress.add(controller);
    if (this.shutdownSignal.aborted) controller.abort(this.shutdownSignal.reason);
    // The caller resetting its stream, or closing its connection, cancels the call, as in Connect's handlers.
    const onClose = () => {
      if (!res.writableEnded) controller.abort(new ConnectError("the client cancelled the call", Code.Canceled));
    };
    res.once("close", onClose);
    const deadline = call.timeoutMs === undefined ? undefined : Date.now() + call.timeoutMs;
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(() => controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), call.timeoutMs);
    const context: HandlerContext = {
      method,
      service: method.parent,
      requestMethod: "POST",
      protocolName: call.protocolName,
      url: call.url,
      signal: controller.signal,
      timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
      requestHeader: call.requestHeader,
      responseHeader: new Headers(call.responseHeader),
      responseTrailer: new Headers(call.responseTrailer),
      values: call.contextValues,
    };
    try {
      if (this.requestGate) await this.requestGate(context);
      return { context, output: await invokeUnaryImplementation(spec, context, input as never, this.interceptors) };
    } catch (error) {
      return { context, error: error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error) };
    } finally {
      res.off("close", onClose);
      clearTimeout(timer);
      this.inProgress.delete(controller);
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
