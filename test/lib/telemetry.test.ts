// One toastie is one trace: jafflr's server span (the child of the caller's,
// when it sent a traceparent), its client span for chillybin, chillybin's
// server span and its database statements; every protocol, REST included.
// Spans are collected in memory by the SDK's own exporter.
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { createClient } from "@connectrpc/connect";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { exportConfigured, installTracerProvider, uninstallTracerProvider } from "../../lib/telemetry.js";
import { captureLogger } from "../support/capture-logger.js";
import { request } from "../support/http.js";
import { useServices } from "../support/services.js";
import { TRANSPORTS } from "../support/transports.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

describe("tracing (OpenTelemetry)", () => {
  const exporter = new InMemorySpanExporter();
  before(() => installTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })));
  after(() => uninstallTracerProvider());
  const chillybinLog = captureLogger();
  const services = useServices({ chillybinLogger: chillybinLog.logger });
  beforeEach(async () => {
    await services.chillybin.setStock({ bread: 10, cheese: 10 });
    exporter.reset();
  });

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const named = (spans: ReadableSpan[], name: string, kind: SpanKind) => {
    const found = spans.filter((s) => s.name === name && s.kind === kind);
    assert.equal(found.length, 1, `${name} (${SpanKind[kind]}) in ${spans.map((s) => `${s.name}/${SpanKind[s.kind]}`).join(", ")}`);
    return found[0]!;
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  for (const transport of TRANSPORTS) {
    it(`${transport.name}: a toastie called with a traceparent is one trace across both services`, async () => {
      await createClient(JafflrService, transport.make(services.jafflr.server.url)).makeToastie(
        { ingredients: ["cheese"] },
        { headers: { traceparent: TRACEPARENT } },
      );
      const spans = spansOf(TRACE_ID);
      const jafflr = named(spans, "jafflr.v1.JafflrService/MakeToastie", SpanKind.SERVER);
      const client = named(spans, "chillybin.v2.ChillybinService/PickOrder", SpanKind.CLIENT);
      const chillybin = named(spans, "chillybin.v2.ChillybinService/PickOrder", SpanKind.SERVER);
      assert.equal(parentOf(jafflr), CALLER_SPAN, "jafflr's span is the caller's child");
      assert.equal(parentOf(client), jafflr.spanContext().spanId);
      assert.equal(parentOf(chillybin), client.spanContext().spanId, "chillybin continues jafflr's trace");
      assert.equal(jafflr.attributes["rpc.response.status_code"], "ok");
      const statements = spans.filter((s) => s.name.startsWith("db ") && parentOf(s) === chillybin.spanContext().spanId);
      assert.ok(
        statements.some((s) => /ingredients|orders/.test(String(s.attributes["db.query.text"]))),
        `the order's statements are chillybin's span's children: ${statements.map((s) => s.attributes["db.query.text"]).join(" | ")}`,
      );
    });
  }

  it("REST: the server span is named after the RPC, with the route template", async () => {
    await request(services.jafflr.server.url, "GET", "/toastie?i=cheese", { headers: { traceparent: TRACEPARENT } });
    const jafflr = named(spansOf(TRACE_ID), "jafflr.v1.JafflrService/MakeToastie", SpanKind.SERVER);
    assert.equal(jafflr.attributes["http.route"], "/toastie");
    assert.equal(jafflr.attributes["http.request.method"], "GET");
    assert.equal(jafflr.attributes["rpc.protocol"], "rest");
  });

  it("without a traceparent: a new trace, still one across both services", async () => {
    await createClient(JafflrService, TRANSPORTS[2]!.make(services.jafflr.server.url)).makeToastie({ ingredients: ["cheese"] });
    const server = exporter.getFinishedSpans().find((s) => s.name === "jafflr.v1.JafflrService/MakeToastie");
    assert.ok(server);
    assert.equal(parentOf(server), undefined);
    const spans = spansOf(server.spanContext().traceId);
    named(spans, "chillybin.v2.ChillybinService/PickOrder", SpanKind.SERVER);
  });

  it("a refusal is recorded with its code, and is not the server's error", async () => {
    await request(services.jafflr.server.url, "GET", "/toastie?i=ham", { headers: { traceparent: TRACEPARENT } });
    const jafflr = named(spansOf(TRACE_ID), "jafflr.v1.JafflrService/MakeToastie", SpanKind.SERVER);
    assert.equal(jafflr.attributes["rpc.response.status_code"], "invalid_argument");
    assert.equal(jafflr.status.code, 0, "UNSET: the caller's mistake");
  });

  it("log lines carry the trace: chillybin's access line has trace_id and span_id", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c"; // this test's own: earlier lines are in TRACE_ID
    await request(services.jafflr.server.url, "GET", "/toastie?i=cheese", { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    const chillybin = named(spansOf(traceId), "chillybin.v2.ChillybinService/PickOrder", SpanKind.SERVER);
    const line = chillybinLog.lines.find((l) => l.trace_id === traceId && l.msg === "request");
    assert.ok(line, "an access line in the trace");
    assert.equal(line.span_id, chillybin.spanContext().spanId);
  });
});

describe("exportConfigured: the SDK loads only when OTEL_* asks for export", () => {
  const table: Array<[Record<string, string>, boolean]> = [
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }, true],
    [{ OTEL_TRACES_EXPORTER: "console" }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "none" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: " " }, false],
  ];
  for (const [env, configured] of table) {
    it(`${JSON.stringify(env)} → ${configured}`, () => assert.equal(exportConfigured(env), configured));
  }
});

describe("tracing with nothing recording (no OTEL_* exporter: the SDK is not loaded)", () => {
  const chillybinLog = captureLogger();
  const services = useServices({ chillybinLogger: chillybinLog.logger });
  beforeEach(() => services.chillybin.setStock({ bread: 10, cheese: 10 }));

  it("a caller's traceparent is still passed on: chillybin's lines carry the caller's trace", async () => {
    const traceId = "1af7651916cd43dd8448eb211c80319c";
    await request(services.jafflr.server.url, "GET", "/toastie?i=cheese", { headers: { traceparent: `00-${traceId}-c7ad6b7169203331-01` } });
    assert.ok(chillybinLog.lines.some((l) => l.trace_id === traceId && l.rpc === "chillybin.v2.ChillybinService/PickOrder"));
  });

  it("without one, no trace is made up (nothing is traced)", async () => {
    await request(services.jafflr.server.url, "GET", "/toastie?i=cheese", { headers: { "x-request-id": "untraced-1" } });
    const line = chillybinLog.lines.find((l) => l.requestId === "untraced-1");
    assert.ok(line);
    assert.equal(line.trace_id, undefined);
  });
});
