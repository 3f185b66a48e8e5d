import type { DescService } from "@bufbuild/protobuf";
import { ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { codeName } from "../../codes.js";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "../../logger.js";
import { correctDecodingErrors } from "./decoding-errors.js";
import { DirectInvoker, type UnarySpec } from "./direct/index.js";
import { mapErrorsToCodes, type ErrorCodes } from "../interceptors/index.js";
import { grpcHealthRoutes } from "../endpoints/index.js";
import { specEncodedGrpcMessages } from "./grpc-message-encoding.js";
import { grpcReflectionRoutes } from "../endpoints/index.js";
import type { Health } from "../observability/index.js";
import { recordOutcome, requestRecordKey } from "../observability/index.js";
import { rpcOptions, type RequestGate, type RpcOptions, type RpcOptionsInit } from "./rpc-options.js";
import { compileSchemaRules, schemaRules } from "../interceptors/index.js";
import { traceCalls } from "../interceptors/index.js";
import { unaryMethodsOf } from "./unary-methods.js";
import { rejectUnstorableStrings } from "../interceptors/index.js";

export type { RequestGate } from "./rpc-options.js";

/** The gate, noting its refusals on the request's record (it runs outside recordOutcome, as in Connect). */
function recordingGate(gate: RequestGate): RequestGate {
  return async (context) => {
    try {
      await gate(context);
    } catch (error) {
      const record = context.values.get(requestRecordKey);
      if (record) {
        record.rpc = `${context.service.typeName}/${context.method.name}`;
        record.code = codeName(ConnectError.from(error).code);
      }
      throw error;
    }
  };
}

export interface RpcRouterOptions {
  /** Registers the service implementations. */
  routes: (router: ConnectRouter) => void;
  logger: Logger;
  /** The service's own failures that have codes of their own; anything else is INTERNAL. */
  errorCodes?: ErrorCodes;
  /** Run for every RPC whatever the protocol, after the request is recorded and checked. */
  interceptors?: readonly Interceptor[];
  /**
   * Decides whether a call may run at all, before any interceptor: throw a
   * ConnectError to refuse it. Connect's handlers and the direct paths (gRPC,
   * gRPC-Web, Connect unary, REST) all apply it, so a gate guards every path.
   */
  requestGate?: RequestGate;
  /** The largest message accepted (REST bodies have the same limit). */
  readMaxBytes: number;
  /** Connect's other options, the same on every path (rpc-options.ts). */
  rpc?: Pick<RpcOptionsInit, "writeMaxBytes" | "compressMinBytes" | "maxTimeoutMs" | "acceptCompression">;
  health: Health;
  /** Aborted when the server gives up draining: every call in flight ends UNAVAILABLE. */
  shutdownSignal: AbortSignal;
}

/** Every RPC a server answers, and what each protocol's path needs to answer it. */
export interface RpcRouter {
  /** The services served, grpc.health.v1 and reflection included. */
  services: DescService[];
  /** Connect's handler per RPC path ("/pkg.Service/Method"), decoding errors corrected. */
  handlers: ReadonlyMap<string, UniversalHandler>;
  /** The HTTP methods each RPC path answers: POST, and GET for side-effect-free RPCs (Connect GET). */
  allowedMethods: ReadonlyMap<string, readonly string[]>;
  /** Every unary method by path, for the direct paths and REST. */
  unary: ReadonlyMap<string, UnarySpec>;
  /** Calls a unary implementation through the router's interceptors (the direct paths, REST). */
  invoker: DirectInvoker;
  /** The options Connect's router was made with, for every other path to read. */
  options: RpcOptions;
}

/**
 * The Connect router with every service, the standard gRPC health and
 * reflection APIs, and the interceptors every call runs through, whatever
 * its protocol.
 */
export function assembleRpcRouter(options: RpcRouterOptions): RpcRouter {
  // Outermost first: the outcome is recorded as answered, after every failure
  // has its code. Then requests are checked: strings PostgreSQL cannot store,
  // and the rules the schema states (buf/validate annotations), before any
  // handler runs, on every protocol (REST runs the same interceptors).
  const interceptors = [
    recordOutcome,
    traceCalls,
    mapErrorsToCodes(options.logger, options.errorCodes),
    rejectUnstorableStrings,
    schemaRules,
    ...(options.interceptors ?? []),
  ];
  const rpc = rpcOptions({
    ...options.rpc,
    interceptors,
    requestGate: options.requestGate && recordingGate(options.requestGate),
    shutdownSignal: options.shutdownSignal,
    // The same limit as REST bodies: larger messages are refused with resource_exhausted.
    readMaxBytes: options.readMaxBytes,
  });
  const router = createConnectRouter(rpc);
  const unary = unaryMethodsOf(router);
  options.routes(unary.router);
  const served = () => [...new Set(router.handlers.map((h) => h.service))];
  const servedNames = served().map((s) => s.typeName);
  grpcHealthRoutes(options.health, () => servedNames)(unary.router);
  grpcReflectionRoutes(() => served().filter((s) => !s.typeName.startsWith("grpc.reflection.")))(unary.router);
  compileSchemaRules(new Set([...unary.specs.values()].map((spec) => spec.method.input)));
  return {
    services: served(),
    // Undecodable requests are the caller's fault, said so (INVALID_ARGUMENT, naming the field: decoding-errors.ts);
    // gRPC status messages are encoded as the gRPC spec says, so that every client can read them.
    handlers: new Map(router.handlers.map((h) => [h.requestPath, specEncodedGrpcMessages(correctDecodingErrors(h))])),
    // Connect answers any other method 405 with no Allow header and no body; serve() says what is allowed.
    // HEAD wherever Connect allows GET (methods without side effects): HTTP answers HEAD as GET, without the body.
    allowedMethods: new Map(
      router.handlers.map((h) => [h.requestPath, [...new Set(h.allowedMethods.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])))].sort()]),
    ),
    unary: unary.specs,
    invoker: new DirectInvoker(rpc),
    options: rpc,
  };
}
