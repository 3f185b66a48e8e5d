// What a service uses to call another: the direct unary gRPC transport, a
// guarded HTTP/2 session manager, retries and circuit breaking, client spans,
// the request id passed on, and a caller's deadline carried down.
export { createUnaryGrpcTransport } from "./unary-grpc-transport.js";
export { GuardedSessionManager } from "./guarded-session-manager.js";
export { healthProbe, type ResilienceOptions, resilientCalls } from "./resilient-calls.js";
export { traceClientCalls } from "./trace-client-calls.js";
export { propagateRequestId } from "./propagate-request-id.js";
export { type Caller, callOptionsFor } from "./caller-deadline.js";
