import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeName } from "../codes.js";
import { activeContext, injectContext, tracer, tracesRecorded } from "../telemetry.js";

/**
 * A client span for each call to another service, the child of the call
 * being served, and its W3C traceparent/tracestate on the request: the
 * service called continues the same trace.
 */
export const traceClientCalls: Interceptor = (next) => async (req) => {
  const parent = activeContext();
  // Nothing to record and no trace being continued: no span, nothing to pass on.
  if (!tracesRecorded() && !trace.getSpanContext(parent)) return next(req);
  const span = tracer().startSpan(
    `${req.service.typeName}/${req.method.name}`,
    { kind: SpanKind.CLIENT, attributes: { "rpc.system": "grpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name } },
    parent,
  );
  injectContext(trace.setSpan(parent, span), req.header);
  try {
    const res = await next(req);
    span.setAttribute("rpc.response.status_code", "ok");
    return res;
  } catch (error) {
    const err = ConnectError.from(error);
    span.setAttribute("rpc.response.status_code", codeName(err.code));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.rawMessage });
    throw error;
  } finally {
    span.end();
  }
};
