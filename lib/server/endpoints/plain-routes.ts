import type { Logger } from "../../logger.js";
import { type NodeRequest, type NodeResponse, writeHead } from "../../http/index.js";
import type { CheckResult, Health, HealthReport } from "../observability/index.js";
import type { ServerMetrics } from "../observability/index.js";

/** The plain-HTTP health endpoint (load balancers, curl). */
export const HEALTH_PATH = "/health";

/** Prometheus scrapes this. */
export const METRICS_PATH = "/metrics";

/** A plain-HTTP endpoint beside the RPCs: a path, the methods it answers, and how. */
export interface PlainRoute {
  path: string;
  methods: readonly string[];
  handle(req: NodeRequest, res: NodeResponse): void;
}

/** The route for a request, if one matches its path and method (others fall through to REST). */
export function matchPlainRoute(routes: readonly PlainRoute[], path: string, method: string | undefined): PlainRoute | undefined {
  return routes.find((r) => r.path === path && r.methods.includes(method ?? ""));
}

/** /health: 200 with the status while serving, 503 while not (draining, a readiness check failing). */
export function healthRoute(health: Health, version: string): PlainRoute {
  return {
    path: HEALTH_PATH,
    methods: ["GET", "HEAD"],
    handle(req, res) {
      void health.report().then((report) => {
        const body = JSON.stringify(healthJson(report, version));
        writeHead(res, report.serving ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
        if (req.method === "HEAD") res.end();
        else res.end(body);
      });
    },
  };
}

/** /metrics: the Prometheus text format. */
export function metricsRoute(metrics: ServerMetrics, logger: Logger): PlainRoute {
  return {
    path: METRICS_PATH,
    methods: ["GET", "HEAD"], // Node writes no body for a HEAD
    handle(_req, res) {
      metrics.serve(res).catch((error: unknown) => {
        logger.error({ err: error }, "collecting metrics failed");
        writeHead(res, 500, {});
        res.end();
      });
    },
  };
}

/** Where each service serves the OpenAPI document of its REST paths. */
export const OPENAPI_PATH = "/openapi.json";

/** /openapi.json: the document, made when first asked for (most server starts never are), then kept. */
export function openApiRoute(document: () => unknown): PlainRoute {
  let body: string | undefined;
  return {
    path: OPENAPI_PATH,
    methods: ["GET", "HEAD"],
    handle(req, res) {
      body ??= JSON.stringify(document());
      writeHead(res, 200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      if (req.method === "HEAD") res.end();
      else res.end(body);
    },
  };
}

/** /health's body: the same statuses grpc.health.v1 answers. */
function healthJson(report: HealthReport, version: string): Record<string, unknown> {
  const status = (r: CheckResult) => ({ status: r.serving ? "SERVING" : "NOT_SERVING", ...(r.reason ? { reason: r.reason } : {}) });
  const dependencies = Object.entries(report.dependencies);
  return {
    ...status(report),
    version,
    ...(dependencies.length ? { dependencies: Object.fromEntries(dependencies.map(([name, r]) => [name, status(r)])) } : {}),
  };
}
