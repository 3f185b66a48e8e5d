// What the server knows and tells about itself and each request: its health
// (readiness and dependencies), its Prometheus metrics, the protocol a
// request spoke, and each request's record and access line.
export { type CheckResult, Health, type HealthCheck, type HealthReport } from "./health.js";
export { type RequestObservation, ServerMetrics } from "./metrics.js";
export { type Protocol, protocolOf } from "./protocol.js";
export { observeRequests, recordOf, recordOutcome, recordRefusal, type RequestRecord, requestRecordKey } from "./request-log.js";
