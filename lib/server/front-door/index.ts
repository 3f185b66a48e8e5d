// The front door: one cleartext port for HTTP/1.1 and h2c, what one client and
// all together may hold there (limits, admission), and how the server stops
// (signals, draining, graceful close). Knows nothing of RPCs.
export { H1H2cServer, startsWithHttp2Preface } from "./h1-h2c-server.js";
export { onShutdownSignal } from "./shutdown-signal.js";
export { DEFAULT_LIMITS, LIMIT_VARIABLES, readServerLimits, type ServerLimits } from "./limits.js";
export { RequestAdmission } from "./request-admission.js";
export { gracefulClose } from "./graceful-close.js";
export { type AllowedOrigins, Cors, readAllowedOrigins } from "./cors.js";
