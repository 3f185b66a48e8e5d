import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { LogEvent } from "kysely";
import { activeContext, tracer } from "../telemetry.js";

/**
 * A span for each database statement, the child of the call that ran it,
 * made from Kysely's log event when the statement is done (its duration
 * gives the start). Named after the statement's operation ("select", "update").
 */
export function traceStatement(event: LogEvent): void {
  const end = Date.now();
  const operation = /^\s*(\w+)/.exec(event.query.sql)?.[1]?.toLowerCase() ?? "query";
  const span = tracer().startSpan(
    `db ${operation}`,
    {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: { "db.system.name": "postgresql", "db.operation.name": operation, "db.query.text": event.query.sql },
    },
    activeContext(),
  );
  if (event.level === "error") span.setStatus({ code: SpanStatusCode.ERROR, message: String(event.error) });
  span.end(end);
}
