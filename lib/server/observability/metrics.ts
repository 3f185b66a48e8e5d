import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type NodeResponse, writeHead } from "../../http/index.js";
import type { Health } from "./health.js";
import type { Protocol } from "./protocol.js";

/** What one finished request is counted as. */
export interface RequestObservation {
  /** The RPC's service and method, "none" for requests that reached none (404s, /health). */
  service: string;
  method: string;
  protocol: Protocol;
  /** The RPC code ("ok", "not_found", …), or the HTTP status for plain HTTP. */
  code: string;
  durationSeconds: number;
}

/**
 * A server's Prometheus metrics, on a registry of its own (several servers can
 * share a process in tests): requests by service, method, protocol, code and
 * version; their latency; requests in flight; Node's process metrics. Services
 * add their own (stock levels, toasties cooking) through `registry`.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"service" | "method" | "protocol" | "code" | "version">;
  private readonly latency: Histogram<"service" | "method" | "protocol" | "code">;
  readonly inFlight: Gauge;
  /** The scrape being collected, which every scrape arriving meanwhile shares. */
  private scraping: Promise<string> | undefined;

  constructor(readonly version: string) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: "rpc_requests_total",
      help: "Requests answered, by RPC service, method, protocol, code and the version that answered.",
      labelNames: ["service", "method", "protocol", "code", "version"],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: "rpc_request_duration_seconds",
      help: "Time from request to the end of the response.",
      labelNames: ["service", "method", "protocol", "code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [this.registry],
    });
    this.inFlight = new Gauge({ name: "rpc_requests_in_flight", help: "Requests being served right now.", registers: [this.registry] });
  }

  /** health_dependency_up{dependency}: 1 while a dependency (e.g. chillybin for jafflr) answers, 0 otherwise. */
  reportDependencies(health: Health): void {
    if (health.dependencyNames.length === 0) return;
    new Gauge({
      name: "health_dependency_up",
      help: "1 while the dependency reports itself serving, 0 otherwise.",
      labelNames: ["dependency"],
      registers: [this.registry],
      async collect() {
        for (const [dependency, result] of Object.entries((await health.report()).dependencies)) this.set({ dependency }, result.serving ? 1 : 0);
      },
    });
  }

  /**
   * What the front door turned away (server_refusals_total{reason}) and the
   * connections open (server_connections): a client hitting a limit shows here.
   */
  reportRefusals(refusals: () => Readonly<Record<string, number>>, connections: () => number): void {
    new Counter({
      name: "server_refusals_total",
      help: "Connections, requests and streams refused or closed at a limit, by reason (connections, requests, bodies, resetFloods, timeouts).",
      labelNames: ["reason"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(refusals())) this.inc({ reason }, count);
      },
    });
    new Gauge({
      name: "server_connections",
      help: "Client connections open.",
      registers: [this.registry],
      collect() {
        this.set(connections());
      },
    });
  }

  observe(o: RequestObservation): void {
    this.requests.inc({ service: o.service, method: o.method, protocol: o.protocol, code: o.code, version: this.version });
    this.latency.observe({ service: o.service, method: o.method, protocol: o.protocol, code: o.code }, o.durationSeconds);
  }

  /**
   * The metrics as a scrape reads them. Scrapes arriving while one is being
   * collected share its answer: collecting may cost (chillybin reads its stock
   * and its idempotency keys from the database), and a client firing scrapes
   * in parallel must not take the database's connections from the calls.
   */
  scrape(): Promise<string> {
    this.scraping ??= this.registry.metrics().finally(() => {
      this.scraping = undefined;
    });
    return this.scraping;
  }

  /** Answers a scrape. */
  async serve(res: NodeResponse): Promise<void> {
    const text = await this.scrape();
    writeHead(res, 200, { "content-type": this.registry.contentType, "cache-control": "no-store" });
    res.end(text);
  }
}
