// The direct unary paths (DIRECT_PATHS): plain unary gRPC, gRPC-Web and
// Connect calls answered without Connect-ES's async-iterable pipeline, through
// Connect's own invocation and encodings (lib/connect-internals.ts).
export { DirectInvoker, type UnarySpec } from "./direct-invocation.js";
export { createUnaryConnectHandler, isPlainUnaryConnect } from "./unary-connect.js";
export { createUnaryGrpcHandler, isPlainUnaryGrpc, replay } from "./unary-grpc.js";
