// What a server answers besides its services' RPCs: /health, /metrics and
// /openapi.json, and the standard grpc.health.v1 and reflection services.
export { grpcHealthRoutes } from "./grpc-health.js";
export { grpcReflectionRoutes } from "./grpc-reflection.js";
export { HEALTH_PATH, healthRoute, matchPlainRoute, METRICS_PATH, metricsRoute, openApiRoute, type PlainRoute } from "./plain-routes.js";
