import { setMaxListeners } from "node:events";
import { Code, ConnectError, createConnectRouter, createContextValues, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Registry } from "prom-client";
import { writeHead } from "../http/node-http.js";
import type { Logger } from "../logger.js";
import { createRestHandler, HttpError, RouteTable, routesOf, writeError } from "../transcoding/index.js";
import { H1H2cServer, type RequestHandler } from "./h1-h2c-server.js";
import { grpcHealthRoutes } from "./grpc-health.js";
import { grpcReflectionRoutes } from "./grpc-reflection.js";
import { Health, type CheckResult, type HealthCheck, type HealthReport } from "./health.js";
import { ServerMetrics } from "./metrics.js";
import { correctDecodingErrors } from "./decoding-errors.js";
import { specEncodedGrpcMessages } from "./grpc-message-encoding.js";
import { observeRequests, recordOf, recordOutcome, requestRecordKey } from "./request-log.js";
import { mapErrorsToCodes, type ErrorCodes } from "./error-codes.js";
import { DEFAULT_LIMITS, type ServerLimits } from "./limits.js";
import { refuseRequest } from "./refusal.js";
import { RequestAdmission } from "./request-admission.js";
import { rejectUnstorableStrings } from "./unstorable-strings.js";
import { schemaRules } from "./schema-rules.js";
import { createUnaryGrpcHandler, isPlainUnaryGrpc, replay } from "./unary-grpc.js";
import { createUnaryConnectHandler, isPlainUnaryConnect } from "./unary-connect.js";
import { unaryMethodsOf } from "./unary-methods.js";
import { DirectInvoker } from "./direct-invocation.js";
import { directRestCall } from "./rest-call.js";

/** The response header that names the version of the service that answered. */
export const VERSION_HEADER = "x-service-version";

/** The plain-HTTP health endpoint (load balancers, curl). */
export const HEALTH_PATH = "/health";

/** The largest request body or message accepted, unless configured otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Connect responses smaller than this are not compressed (Connect-ES's default, which the router keeps). */
const CONNECT_COMPRESS_MIN_BYTES = 1024;

/** Prometheus scrapes this. */
export const METRICS_PATH = "/metrics";

export interface ServeOptions {
  /** Registers the service implementations. */
  routes: (router: ConnectRouter) => void;
  port: number;
  host?: string;
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
  /** The service's own failures that have codes of their own (refusals, its database out of reach); anything else is INTERNAL. */
  errorCodes?: ErrorCodes;
  /** What one client, and all together, may hold (connections, requests, bytes, time); defaults in limits.ts. */
  limits?: ServerLimits;
  /** Adds the service's own metrics (stock levels, toasties cooking) to the server's registry. */
  metrics?: (registry: Registry) => void;
  /**
   * Plain unary gRPC, gRPC-Web and Connect calls take the direct paths
   * (unary-grpc.ts, unary-connect.ts) unless this is false; then every call goes through
   * Connect's handlers (the parity tests compare the two).
   */
  directUnary?: boolean;
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
 * Serves the routes on one cleartext port, over HTTP/1.1 and h2c: Connect,
 * gRPC and gRPC-Web on the RPC paths; REST on the paths the services'
 * google.api.http options declare (through the same handlers); /health.
 * Logs one line per request.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const shutdown = new AbortController();
  // Every request in flight listens on this signal: no listener limit applies.
  setMaxListeners(0, shutdown.signal);
  const health = new Health({ readiness: options.readinessChecks, dependencies: options.dependencyChecks });
  const metrics = new ServerMetrics(options.version);
  metrics.reportDependencies(health);
  options.metrics?.(metrics.registry);

  // Outermost first: the outcome is recorded as answered, after every failure
  // has its code. Then requests are checked: strings PostgreSQL cannot store,
  // and the rules the schema states (buf/validate annotations), before any
  // handler runs, on every protocol (REST runs the same interceptors).
  const interceptors = [
    recordOutcome,
    mapErrorsToCodes(options.logger, options.errorCodes),
    rejectUnstorableStrings,
    schemaRules,
    ...(options.interceptors ?? []),
  ];
  const readMaxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const acceptCompression = [compressionGzip, compressionBrotli];
  // Connect-ES ignores what JSON it does not know by default: an unknown enum
  // name ("doneness":"charcoal") then became the default value and a LIGHT
  // toastie. Refuse it, and unknown fields, as INVALID_ARGUMENT naming the
  // field, as REST and connect-go do.
  const jsonOptions = { ignoreUnknownFields: false };
  const router = createConnectRouter({
    interceptors,
    shutdownSignal: shutdown.signal,
    acceptCompression,
    jsonOptions,
    // The same limit as REST bodies: larger messages are refused with resource_exhausted.
    readMaxBytes,
  });
  // Every unary method, for the direct gRPC path (unary-grpc.ts).
  const unary = unaryMethodsOf(router);
  options.routes(unary.router);
  const servedServices = [...new Set(router.handlers.map((h) => h.service.typeName))];
  grpcHealthRoutes(health, () => servedServices)(unary.router);
  grpcReflectionRoutes(() => [...new Set(router.handlers.map((h) => h.service))].filter((s) => !s.typeName.startsWith("grpc.reflection.")))(unary.router);
  const invoker = new DirectInvoker(interceptors, shutdown.signal);
  const compressMinBytes = CONNECT_COMPRESS_MIN_BYTES;
  const directGrpc = new Map(
    [...unary.specs].map(([path, spec]) => [path, createUnaryGrpcHandler(spec, invoker, { web: false, readMaxBytes, acceptCompression, compressMinBytes })]),
  );
  const directGrpcWeb = new Map(
    [...unary.specs].map(([path, spec]) => [path, createUnaryGrpcHandler(spec, invoker, { web: true, readMaxBytes, acceptCompression, compressMinBytes })]),
  );
  const directConnect = new Map(
    [...unary.specs].map(([path, spec]) => [
      path,
      createUnaryConnectHandler(spec, invoker, { readMaxBytes, jsonOptions, acceptCompression, compressMinBytes }),
    ]),
  );
  const contextValues = (req: Parameters<RequestHandler>[0]) => createContextValues().set(requestRecordKey, recordOf(req));
  // Undecodable requests are the caller's fault, said so (INVALID_ARGUMENT, naming the field: decoding-errors.ts);
  // gRPC status messages are encoded as the gRPC spec says, so that every client can read them.
  const rpcHandlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, specEncodedGrpcMessages(correctDecodingErrors(h))]));
  // What each RPC path answers to: POST, and GET for side-effect-free RPCs (Connect GET). Connect
  // answers any other method 405 with no Allow header and no body; this says what is allowed.
  const allowedMethods = new Map(router.handlers.map((h) => [h.requestPath, [...new Set(h.allowedMethods)].sort()]));
  const limits = options.limits ?? DEFAULT_LIMITS;
  const admission = new RequestAdmission(limits);
  const rest = createRestHandler(new RouteTable(routesOf([...new Set(router.handlers.map((h) => h.service))])), {
    rpcs: new Set([...unary.specs.keys()].map((path) => path.slice(1))),
    call: directRestCall(unary.specs, invoker, contextValues),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    body: (req, res) => admission.meter(req, res, req as AsyncIterable<Uint8Array>),
  });

  const handler: RequestHandler = (req, res) => {
    res.setHeader(VERSION_HEADER, options.version);
    const refusal = admission.admit(req, res);
    if (refusal) {
      refuseRequest(req, res, refusal);
      return;
    }
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const rpc = rpcHandlers.get(path);
    if (rpc) {
      const allowed = allowedMethods.get(path)!;
      if (!allowed.includes(req.method ?? "")) {
        writeError(
          res,
          new HttpError(405, Code.Unimplemented, `${req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`, { allow: allowed.join(", ") }),
        );
        return;
      }
      const onWriteError = (error: unknown) => {
        // A client that reset its stream or closed its connection is not a server error.
        if (res.destroyed || req.destroyed) options.logger.debug({ rpc: path, reason: String(error) }, "the client went away before the response was written");
        else options.logger.error({ err: error, rpc: path }, "writing the response failed");
        res.destroy();
      };
      const admitBytes = admission.bodyBudget(req, res);
      // Connect's handler, with any body bytes already read (by the direct path) in front.
      const connect = (read: Uint8Array[] = []) => {
        const uReq = universalRequestFromNodeRequest(req, res, undefined, contextValues(req));
        rpc({ ...uReq, body: replay(read, admission.meter(req, res, uReq.body as AsyncIterable<Uint8Array>, admitBytes)) })
          .then((uRes) => universalResponseToNodeResponse(uRes, res))
          .catch(onWriteError);
      };
      const call = { req, res, contextValues: contextValues(req), admitBytes, fallback: connect, onWriteError };
      const direct = options.directUnary !== false;
      if (direct && isPlainUnaryGrpc(req, false) && directGrpc.has(path)) directGrpc.get(path)!(call);
      else if (direct && isPlainUnaryGrpc(req, true) && directGrpcWeb.has(path)) directGrpcWeb.get(path)!(call);
      else if (direct && isPlainUnaryConnect(req) && directConnect.has(path)) directConnect.get(path)!(call);
      else connect();
      return;
    }
    // A gRPC or gRPC-Web client asking for a method nobody serves gets gRPC's answer (HTTP 200,
    // grpc-status 12 naming the method), which its library can read; not REST's 404.
    if ((req.headers["content-type"] ?? "").toLowerCase().startsWith("application/grpc")) {
      refuseRequest(req, res, new ConnectError(`unknown method ${path}: this server does not serve it`, Code.Unimplemented));
      return;
    }
    if (path === METRICS_PATH && req.method === "GET") {
      metrics.serve(res).catch((error: unknown) => {
        options.logger.error({ err: error }, "collecting metrics failed");
        writeHead(res, 500, {});
        res.end();
      });
      return;
    }
    if (path === HEALTH_PATH && (req.method === "GET" || req.method === "HEAD")) {
      void health.report().then((report) => {
        const body = JSON.stringify(healthJson(report, options.version));
        writeHead(res, report.serving ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
        if (req.method === "HEAD") res.end();
        else res.end(body);
      });
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
  const port = await server.listen(options.port, host);
  options.logger.info({ port, host }, "listening");

  let closing: Promise<void> | undefined;
  const close = async () => {
    health.markShuttingDown();
    server.stopAccepting();
    server.drainConnections();
    const drained = await waitUntil(() => server.requestsInFlight === 0, drainTimeoutMs);
    if (!drained) {
      options.logger.warn({ requestsInFlight: server.requestsInFlight }, "drain timeout: aborting requests in flight");
      shutdown.abort(new ConnectError("the server is shutting down", Code.Unavailable));
      await waitUntil(() => server.requestsInFlight === 0, 1_000);
    }
    server.destroyConnections();
    options.logger.info("stopped");
  };
  return {
    port,
    url: `http://${host}:${port}`,
    health,
    metrics,
    close: () => (closing ??= close()),
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

/** Polls `done` until it holds (true) or the time is up (false). */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
