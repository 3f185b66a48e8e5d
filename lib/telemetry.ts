// Distributed tracing with OpenTelemetry, configured only by the standard
// OTEL_* variables. With no exporter configured (no OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER=none), the SDK
// is never loaded: spans are the API's non-recording ones, which cost next to
// nothing, yet a caller's W3C traceparent/tracestate is still passed on, so a
// trace is not cut by a service that exports nothing.
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  trace,
  type TextMapGetter,
  type TextMapSetter,
  type TracerProvider,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/** The tracer every span here comes from. */
export const tracer = () => trace.getTracer("toasties-galore");

// The W3C propagator, whatever else is configured: traceparent and tracestate in, and out again.
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

let recording = false;

/**
 * Whether spans are recorded here (an SDK is installed). When not, calls
 * without a traceparent skip tracing altogether: the hot path pays a flag.
 */
export function tracesRecorded(): boolean {
  return recording;
}

/** Installs a tracer provider (the SDK's, or a test's in-memory one) and records spans from now on. */
export function installTracerProvider(provider: TracerProvider): void {
  trace.disable();
  trace.setGlobalTracerProvider(provider);
  recording = true;
}

/** Back to recording nothing (tests). */
export function uninstallTracerProvider(): void {
  trace.disable();
  recording = false;
}

/** Whether the environment asks for spans to be exported. */
export function exportConfigured(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_TRACES_EXPORTER ?? "").trim().toLowerCase() === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_TRACES_EXPORTER?.trim());
}

/**
 * Starts the OpenTelemetry Node SDK when the environment configures an
 * exporter (it reads OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, the OTLP endpoint
 * and protocol… itself), naming the service `service` unless OTEL_SERVICE_NAME
 * does. Answers how to flush and stop it (nothing to do when not started).
 */
export async function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  if (!exportConfigured(env)) return async () => {};
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME?.trim() || service, instrumentations: [] });
  sdk.start();
  recording = true;
  return () => sdk.shutdown();
}

/**
 * The trace context of the call being served. Kept in our own async-local
 * storage rather than the SDK's context manager, so that it reaches the calls
 * a handler makes, and the database statements it runs, with the SDK unloaded.
 */
const current = new AsyncLocalStorage<Context>();

/** Runs `work` (and everything it starts) inside `span`. */
export function runInSpan<T>(span: Span, parent: Context, work: () => T): T {
  const ctx = trace.setSpan(parent, span);
  return current.run(ctx, () => context.with(ctx, work));
}

/** The context of the call being served, or the root one. */
export function activeContext(): Context {
  return current.getStore() ?? context.active();
}

const headersGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};
const headersSetter: TextMapSetter<Headers> = { set: (carrier, key, value) => carrier.set(key, value) };

/** The caller's trace context from request headers (traceparent, tracestate). */
export function extractContext(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headersGetter);
}

/** Writes `ctx`'s trace context into request headers, for the service called. */
export function injectContext(ctx: Context, headers: Headers): void {
  propagation.inject(ctx, headers, headersSetter);
}

/** trace_id and span_id of the call being served, for log lines (nothing outside a call). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(activeContext());
  return spanContext && trace.isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}
