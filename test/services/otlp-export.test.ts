// Configured only by the standard OTEL_* variables, both service processes
// export their spans over OTLP/HTTP, and a toastie called with a traceparent
// arrives at the collector as one trace from both: here the collector is a
// small OTLP/HTTP (JSON) receiver in the test.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { listeningPort, runTs, type RunningProcess } from "../../scripts/support/processes.js";
import { createScratchDatabase, type ScratchDatabase } from "../../scripts/support/scratch-database.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
interface OtlpExport {
  resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

const TRACE_ID = "5bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "10f067aa0ba902b7";

describe("OTLP export from both service processes", function () {
  this.timeout(90_000);
  let database: ScratchDatabase;
  let collector: http.Server;
  const received: Array<{ service: string; span: OtlpSpan }> = [];
  const processes: RunningProcess[] = [];

  before(async () => {
    database = await createScratchDatabase({ onDisk: true });
    await database.handOver(); // to the chillybin under test
    collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/v1/traces") {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport;
          for (const rs of body.resourceSpans) {
            const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "?";
            for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ service, span });
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop("SIGKILL")));
    await new Promise<void>((resolve) => collector.close(() => resolve()));
    await database?.drop();
  });

  it("a toastie with a traceparent: jafflr's and chillybin's spans, one trace", async () => {
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    };
    const chillybin = runTs("services/chillybin/main.ts", { ...database.env, ...otel, CHILLYBIN_PORT: "0", VERSION: "otlp-test" });
    processes.push(chillybin);
    const chillybinUrl = `http://127.0.0.1:${listeningPort(await chillybin.waitForLine(/"msg":"listening"/, 60_000))}`;
    const jafflr = runTs("services/jafflr/main.ts", { ...otel, JAFFLR_PORT: "0", CHILLYBIN_URL: chillybinUrl, TOAST_TIME_SCALE: "0.01", VERSION: "otlp-test" });
    processes.push(jafflr);
    const jafflrUrl = `http://127.0.0.1:${listeningPort(await jafflr.waitForLine(/"msg":"listening"/, 60_000))}`;

    const res = await fetch(`${jafflrUrl}/toastie?i=cheese`, { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` } });
    assert.equal(res.status, 200, await res.text());

    const inTrace = () => received.filter((r) => r.span.traceId.toLowerCase() === TRACE_ID);
    for (let i = 0; i < 100 && !(inTrace().some((r) => r.service === "chillybin") && inTrace().some((r) => r.service === "jafflr")); i++) await sleep(100);
    const spans = inTrace();
    const jafflrServer = spans.find((r) => r.service === "jafflr" && r.span.name === "jafflr.v1.JafflrService/MakeToastie");
    const chillybinServer = spans.find((r) => r.service === "chillybin" && r.span.name === "chillybin.v2.ChillybinService/PickOrder");
    assert.ok(jafflrServer, `jafflr's server span; got ${JSON.stringify(spans.map((s) => [s.service, s.span.name]))}`);
    assert.ok(chillybinServer, "chillybin's server span");
    assert.equal(jafflrServer.span.parentSpanId?.toLowerCase(), CALLER_SPAN, "the caller's span is jafflr's parent");
    const client = spans.find((r) => r.service === "jafflr" && r.span.spanId === chillybinServer.span.parentSpanId);
    assert.equal(client?.span.name, "chillybin.v2.ChillybinService/PickOrder", "chillybin's span is the child of jafflr's client span");
    assert.ok(
      spans.some((r) => r.service === "chillybin" && r.span.name.startsWith("db ")),
      "chillybin's statements",
    );
  });
});
