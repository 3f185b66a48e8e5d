export { serve, DEFAULT_MAX_BODY_BYTES, HEALTH_PATH, METRICS_PATH, VERSION_HEADER, type RunningServer, type ServeOptions } from "./serve.js";
export { H1H2cServer, startsWithHttp2Preface, type RequestHandler } from "./h1-h2c-server.js";
export { protocolOf, type Protocol, type RequestRecord } from "./request-log.js";
export { onShutdownSignal } from "./shutdown-signal.js";
export { Health, type CheckResult, type HealthCheck, type HealthReport } from "./health.js";
export { ServerMetrics, type RequestObservation } from "./metrics.js";
export { currentRequestId, IDEMPOTENCY_KEY_HEADER, propagateRequestId, REQUEST_ID_HEADER } from "./request-context.js";
export { requireBearerToken } from "./require-bearer-token.js";
export { readServerSettings, type ServerSettings, type ServiceServerOptions } from "./settings.js";
