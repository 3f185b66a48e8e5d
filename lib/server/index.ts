// lib/server: serve() and what services configure it with. Inside, by concern:
// front-door/ (the port, limits, shutdown), observability/ (health, metrics,
// request log), interceptors/ (codes, checks, tracing, auth), endpoints/
// (/health, /metrics, /openapi.json, grpc.health.v1, reflection) and rpc/
// (the router, dispatch, direct/ unary paths). Outside lib/server, import
// from here; inside, from a folder's index.ts (test/ci/import-boundaries.test.ts).
export { DEFAULT_MAX_BODY_BYTES, type RequestHandler } from "../http/index.js";
export {
  H1H2cServer,
  DEFAULT_LIMITS,
  LIMIT_VARIABLES,
  onShutdownSignal,
  readAllowedOrigins,
  readServerLimits,
  startsWithHttp2Preface,
  type AllowedOrigins,
  type ServerLimits,
} from "./front-door/index.js";
export { HEALTH_PATH, METRICS_PATH, type PlainRoute } from "./endpoints/index.js";
export { mapErrorsToCodes, requireBearerToken, type ErrorCodes } from "./interceptors/index.js";
export {
  Health,
  protocolOf,
  ServerMetrics,
  type CheckResult,
  type HealthCheck,
  type HealthReport,
  type Protocol,
  type RequestObservation,
  type RequestRecord,
} from "./observability/index.js";
export type { RequestGate } from "./rpc/index.js";
export { serve, VERSION_HEADER, type RunningServer, type ServeOptions } from "./serve.js";
export { readServerSettings, type ServerSettings, type ServiceServerOptions } from "./settings.js";
