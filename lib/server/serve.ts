import { setMaxListeners } from "node:events";
import { createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { ALL_DIRECT_PATHS, type DirectPaths } from "../direct-paths.js";
import { DEFAULT_MAX_BODY_BYTES } from "../http/index.js";
import type { NodeRequest, RequestHandler } from "../http/index.js";
import type { Logger } from "../logger.js";
import { createRestHandler, openApiDocument, RouteTable, routesOf } from "../transcoding/index.js";
import { isServerFault } from "../codes.js";
import type { ErrorCodes } from "./interceptors/index.js";
import { gracefulClose } from "./front-door/index.js";
import { H1H2cServer } from "./front-door/index.js";
import { Health, type HealthCheck } from "./observability/index.js";
import { DEFAULT_LIMITS, type ServerLimits } from "./front-door/index.js";
import { ServerMetrics } from "./observability/index.js";
import { healthRoute, matchPlainRoute, metricsRoute, openApiRoute, type PlainRoute } from "./endpoints/index.js";
import { refuseRequest } from "./rpc/index.js";
import { RequestAdmission } from "./front-door/index.js";
import { type AllowedOrigins, Cors } from "./front-door/index.js";
import { observeRequests, recordOf, recordRefusal, requestRecordKey } from "./observability/index.js";
import { directRestCall } from "./rpc/index.js";
import { createRpcDispatch } from "./rpc/index.js";
import type { RpcOptionsInit } from "./rpc/index.js";
import { assembleRpcRouter, type RequestGate } from "./rpc/index.js";
import { answerUnknownMethod } from "./rpc/index.js";
import { listenProblem, type ListenVariables } from "./listen-problem.js";

/** The response header that names the version of the service that answered. */
export const VERSION_HEADER = "x-service-version";

export interface ServeOptions {
  /** Registers the service implementations. */
  routes: (router: ConnectRouter) => void;
  port: number;
  host?: string;
  /** The variables port and host were read from, named when listening fails. */
  listenVariables?: ListenVariables;
  version: string;
  logger: Logger;
  /** How long shutdown waits for requests in flight before failing them. */
  drainTimeoutMs?: number;
  /** What must hold for the service to report itself serving (e.g. its database answers). */
  readinessChecks?: readonly HealthCheck[];
  /** What the service calls, reported by name in its health without gating it (e.g. "chillybin"). */
  dependencyChecks?: Readonly<Record<string, HealthCheck>>;
  /** The largest REST request body accepted. */
  maxBodyBytes?: number;
  /** Run for every RPC whatever the protocol, after the request is recorded (e.g. access checks). */
  interceptors?: readonly Interceptor[];
  /** Decides whether a call may run at all (authentication, say), on every protocol and path: see RpcRouterOptions. */
  requestGate?: RequestGate;
  /** The service's own failures that have codes of their own (refusals, its database out of reach); anything else is INTERNAL. */
  errorCodes?: ErrorCodes;
  /** What one client, and all together, may hold (connections, requests, bytes, time); defaults in limits.ts. */
  limits?: ServerLimits;
  /** Adds the service's own metrics (stock levels, toasties cooking) to the server's registry. */
  metrics?: (registry: Registry) => void;
  /** Plain-HTTP endpoints beside /health, /metrics and /openapi.json (matched before REST). */
  plainRoutes?: readonly PlainRoute[];
  /** The REST surface's OpenAPI document (GET /openapi.json): its title, and the RPCs that need a bearer token. */
  openApi?: { title: string; bearerRpcs?: readonly string[] };
  /** Connect's other options (largest answer, compression, longest deadline), the same on every path: rpc-options.ts. */
  rpc?: Pick<RpcOptionsInit, "writeMaxBytes" | "compressMinBytes" | "maxTimeoutMs" | "acceptCompression">;
  /**
   * Which plain unary calls take the direct paths (unary-grpc.ts,
   * unary-connect.ts); all by default (DIRECT_PATHS). The others go through
   * Connect's handlers; the parity tests compare the two.
   */
  directPaths?: DirectPaths;
  /** Origins whose pages may call (CORS_ALLOWED_ORIGINS): none by default. */
  corsAllowedOrigins?: AllowedOrigins;
}

export interface RunningServer {
  /** The port actually bound (useful when 0 was asked for). */
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  readonly health: Health;
  readonly metrics: ServerMetrics;
  /**
   * Graceful shutdown: report not serving, stop accepting, let requests in
   * flight finish (up to the drain timeout, then abort them with
   * UNAVAILABLE), close every connection.
   */
  close(): Promise<void>;
}

/**
 * Serves the routes on one cleartext port, over HTTP/1.1 and h2c. A request
 * is admitted (limits), then goes to the first of: an RPC path (Connect,
 * gRPC, gRPC-Web), gRPC's UNIMPLEMENTED for a gRPC call to a method nobody
 * serves, a plain-HTTP route (/health, /metrics, the service's own), and
 * REST on the paths the services' google.api.http options declare (through
 * the same interceptors and handlers). Logs one line per request.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const shutdown = new AbortController();
  // Every request in flight listens on this signal: no listener limit applies.
  setMaxListeners(0, shutdown.signal);
  const health = new Health({ readiness: options.readinessChecks, dependencies: options.dependencyChecks });
  const metrics = new ServerMetrics(options.version);
  metrics.reportDependencies(health);
  options.metrics?.(metrics.registry);

  const readMaxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rpcs = assembleRpcRouter({ ...options, readMaxBytes, health, shutdownSignal: shutdown.signal });
  const limits = options.limits ?? DEFAULT_LIMITS;
  const admission = new RequestAdmission(limits);
  const contextValues = (req: NodeRequest) => createContextValues().set(requestRecordKey, recordOf(req));
  const dispatchRpc = createRpcDispatch(rpcs, { admission, contextValues, logger: options.logger, directPaths: options.directPaths ?? ALL_DIRECT_PATHS });
  const openApi = () =>
    openApiDocument(rpcs.services, {
      title: options.openApi?.title ?? "REST API",
      version: options.version,
      bearerRpcs: options.openApi?.bearerRpcs,
    });
  const plainRoutes = [healthRoute(health, options.version), metricsRoute(metrics, options.logger), openApiRoute(openApi), ...(options.plainRoutes ?? [])];
  const routeTable = new RouteTable(routesOf(rpcs.services));
  // What a browser's preflight may ask for on a path: what its RPC, its plain route or its REST routes take.
  const methodsOn = (path: string): string[] => {
    const rest = routeTable.lookup("OPTIONS", path);
    return [
      ...new Set([
        ...(rpcs.allowedMethods.get(path) ?? []),
        ...plainRoutes.filter((r) => r.path === path).flatMap((r) => r.methods),
        ...(rest.kind === "method-not-allowed" ? rest.allow : []),
      ]),
    ]
      .filter((m) => m !== "HEAD")
      .sort();
  };
  const cors = new Cors(options.corsAllowedOrigins ?? new Set(), methodsOn);
  const rest = createRestHandler(routeTable, {
    rpcs: new Set([...rpcs.unary.keys()].map((path) => path.slice(1))),
    call: directRestCall(rpcs.unary, rpcs.invoker, contextValues),
    maxBodyBytes: readMaxBytes,
    body: (req, res) => admission.meter(req, res, req as AsyncIterable<Uint8Array>),
    onRoute: (req, route) => {
      recordOf(req).route = { method: route.httpMethod, template: route.template.source };
    },
    onError: (req, rpc, error) => {
      const name = rpc && `${rpc.parent.typeName}/${rpc.name}`;
      // An RPC's own failures were logged where they became codes (error-codes.ts); a fault before it was not.
      if (isServerFault(error.code) && recordOf(req).code === undefined)
        options.logger.error({ err: error.cause ?? error, path: req.url, rpc: name }, `REST ${req.method} ${req.url} failed: ${error.message}`);
      recordRefusal(req, error.code, name);
    },
  });

  const handler: RequestHandler = (req, res) => {
    res.setHeader(VERSION_HEADER, options.version);
    cors.allowReading(req, res);
    const refusal = admission.admit(req, res);
    if (refusal) {
      recordRefusal(req, refusal.code);
      refuseRequest(req, res, refusal);
      return;
    }
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (cors.isPreflight(req)) {
      cors.answerPreflight(req, res, path);
      return;
    }
    if (dispatchRpc(req, res, path)) return;
    // An RPC client asking for a method nobody serves gets its protocol's answer, not REST's 404.
    if (answerUnknownMethod(req, res, path)) return;
    const plain = matchPlainRoute(plainRoutes, path, req.method);
    if (plain) {
      plain.handle(req, res);
      return;
    }
    recordOf(req).protocol = "rest";
    rest(req, res);
  };
  const server = new H1H2cServer(observeRequests(options.logger, metrics, handler), limits);
  metrics.reportRefusals(
    () => ({ ...server.refused, ...admission.refused }),
    () => server.connections,
  );
  const port = await server.listen(options.port, host).catch((error: unknown) => {
    throw listenProblem(error, host, options.port, options.listenVariables);
  });
  // Which direct unary paths are on (DIRECT_PATHS), so that an operator who turned them off can see it took.
  const directPaths = Object.entries(options.directPaths ?? ALL_DIRECT_PATHS).flatMap(([name, on]) => (on && name !== "client" ? [name] : []));
  options.logger.info({ port, host, directPaths }, "listening");

  let closing: Promise<void> | undefined;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  return {
    port,
    url: `http://${host}:${port}`,
    health,
    metrics,
    close: () => (closing ??= gracefulClose({ server, health, shutdown, drainTimeoutMs, logger: options.logger })),
  };
}
