import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeName, isServerFault } from "../../codes.js";
import { extractContext, runInSpan, tracer, tracesRecorded } from "../../telemetry.js";
import { protocolOf } from "../observability/index.js";
import { requestRecordKey } from "../observability/index.js";

/**
 * A server span for every RPC, whatever the protocol (REST included: it runs
 * the same interceptors), named after the RPC ("chillybin.v2.ChillybinService/
 * PickOrder"), the child of the caller's span when it sent a W3C traceparent.
 * The calls a handler makes and the statements it runs are its children.
 */
export const traceCalls: Interceptor = (next) => async (req) => {
  // Nothing to record and no trace to continue: no span at all.
  if (!tracesRecorded() && !req.header.has("traceparent")) return next(req);
  const parent = extractContext(req.header);
  const record = req.contextValues.get(requestRecordKey);
  const protocol = record?.protocol ?? protocolOf(req.header.get("content-type") ?? undefined, true);
  const span = tracer().startSpan(
    `${req.service.typeName}/${req.method.name}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "rpc.system": protocol === "grpc" || protocol === "grpc-web" ? "grpc" : "connect_rpc",
        "rpc.service": req.service.typeName,
        "rpc.method": req.method.name,
        "rpc.protocol": protocol,
        ...(record?.route ? { "http.route": record.route.template, "http.request.method": record.route.method } : {}),
      },
    },
    parent,
  );
  if (record) record.trace = { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId };
  try {
    const res = await runInSpan(span, parent, () => next(req));
    span.setAttribute("rpc.response.status_code", "ok");
    return res;
  } catch (error) {
    const code = ConnectError.from(error).code;
    span.setAttribute("rpc.response.status_code", codeName(code));
    // A refusal is the caller's; only the server's own faults mark the span an error.
    if (isServerFault(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error).rawMessage });
    throw error;
  } finally {
    span.end();
  }
};
