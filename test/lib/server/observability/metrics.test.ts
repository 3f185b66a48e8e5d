// ServerMetrics: what every server reports to Prometheus, read as a scrape reads it.
import assert from "node:assert/strict";
import { Health } from "../../../../lib/server/observability/health.js";
import { ServerMetrics } from "../../../../lib/server/observability/metrics.js";
import { Gauge } from "prom-client";

describe("ServerMetrics", () => {
  it("counts each request by service, method, protocol, code and version, and times it", async () => {
    const metrics = new ServerMetrics("v7");
    metrics.observe({ service: "pkg.Svc", method: "Get", protocol: "grpc", code: "ok", durationSeconds: 0.003 });
    metrics.observe({ service: "pkg.Svc", method: "Get", protocol: "grpc", code: "ok", durationSeconds: 0.2 });
    const text = await metrics.registry.metrics();
    assert.match(text, /^rpc_requests_total\{service="pkg.Svc",method="Get",protocol="grpc",code="ok",version="v7"\} 2$/m);
    assert.match(text, /^rpc_request_duration_seconds_bucket\{le="0.005",service="pkg.Svc",method="Get",protocol="grpc",code="ok"\} 1$/m);
    assert.match(text, /^rpc_request_duration_seconds_count\{service="pkg.Svc",method="Get",protocol="grpc",code="ok"\} 2$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m, "Node's default metrics too");
  });

  it("reports each dependency up (1) or down (0), and nothing without dependencies", async () => {
    const metrics = new ServerMetrics("v7");
    metrics.reportDependencies(
      new Health({
        dependencies: {
          up: async () => {},
          down: async () => {
            throw new Error("refused");
          },
        },
      }),
    );
    const text = await metrics.registry.metrics();
    assert.match(text, /^health_dependency_up\{dependency="up"\} 1$/m);
    assert.match(text, /^health_dependency_up\{dependency="down"\} 0$/m);
    const none = new ServerMetrics("v7");
    none.reportDependencies(new Health());
    assert.doesNotMatch(await none.registry.metrics(), /health_dependency_up/);
  });

  it("reports refusals by reason and the connections open, as they are when scraped", async () => {
    const metrics = new ServerMetrics("v7");
    const refused = { connections: 0, requests: 3 };
    let open = 2;
    metrics.reportRefusals(
      () => refused,
      () => open,
    );
    refused.requests = 5;
    open = 4;
    const text = await metrics.registry.metrics();
    assert.match(text, /^server_refusals_total\{reason="requests"\} 5$/m);
    assert.match(text, /^server_refusals_total\{reason="connections"\} 0$/m);
    assert.match(text, /^server_connections 4$/m);
  });

  it("collects once for scrapes that arrive while one is being collected, and again for the next", async () => {
    const metrics = new ServerMetrics("v7");
    let collections = 0;
    // Like chillybin's stock: read from somewhere slow, on every collection.
    new Gauge({
      name: "slow_reading",
      help: "A gauge whose collection takes a while.",
      registers: [metrics.registry],
      async collect() {
        collections++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        this.set(collections);
      },
    });
    const texts = await Promise.all(Array.from({ length: 20 }, () => metrics.scrape()));
    assert.equal(collections, 1, "20 scrapes at once: one collection");
    assert.equal(new Set(texts).size, 1, "each got the same answer");
    assert.match(texts[0]!, /^slow_reading 1$/m);
    assert.match(await metrics.scrape(), /^slow_reading 2$/m, "a later scrape collects afresh");
  });
});
