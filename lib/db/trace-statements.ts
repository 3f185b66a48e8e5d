import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { LogEvent } from "kysely";
import { activeContext, tracer } from "../telemetry.js";

/**
 * A span for each database statement, the child of the call that ran it
 * (when that call's span records),
 * made from Kysely's log event when the statement is done (its duration
 * gives the start). Named after the statement's operation ("select", "update").
 */
export function traceStatement(event: LogEvent): void {
  // Only inside a call whose span records (an SDK is exporting): otherwise nothing is made at all.
  const parent = activeContext();
  if (!trace.getSpan(parent)?.isRecording()) return;
  const end = Date.now();
  const operation = /^\s*(\w+)/.exec(event.query.sql)?.[1]?.toLowerCase() ?? "query";
  const span = tracer().startSpan(
    `db ${operation}`,
    {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: { "db.system.name": "postgresql", "db.operation.name": operation, "db.query.text": event.query.sql },
    },
    parent,
  );
  if (event.level === "error") span.setStatus({ code: SpanStatusCode.ERROR, message: String(event.error) });
  span.end(end);
}
