import type { JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import type { ConnectRouterOptions, HandlerContext, Interceptor } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { CONNECT_COMPRESS_MIN_BYTES, CONNECT_MAX_BYTES, connectCompressions } from "../../connect-defaults.js";

/** Connect's requestGate: refuses a call by throwing, before it runs. */
export type RequestGate = (context: HandlerContext) => void | Promise<void>;

/**
 * The one set of options every RPC path runs with: given as they are to
 * Connect's router (createConnectRouter), and read by the direct unary paths
 * (unary-grpc.ts, unary-connect.ts, direct-invocation.ts) and REST, so that
 * no path can have a limit, a codec setting or a gate the others lack. Each
 * field is Connect's own option of that name (UniversalHandlerOptions), with
 * nothing left to Connect's defaults.
 */
export interface RpcOptions
  extends Required<
    Pick<ConnectRouterOptions, "acceptCompression" | "compressMinBytes" | "readMaxBytes" | "writeMaxBytes" | "maxTimeoutMs" | "shutdownSignal">
  > {
  /** Outermost first; every call on every path runs through them. */
  interceptors: Interceptor[];
  /** Decides whether a call may run at all, before any interceptor and before its body is parsed. */
  requestGate: RequestGate | undefined;
  jsonOptions: Partial<JsonReadOptions & JsonWriteOptions>;
}

/** What a server may set; the rest is decided here, the same for every path. */
export interface RpcOptionsInit {
  interceptors: Interceptor[];
  requestGate?: RequestGate;
  shutdownSignal: AbortSignal;
  /** The largest message accepted (REST bodies have the same limit). */
  readMaxBytes: number;
  /** The largest message answered; larger answers fail RESOURCE_EXHAUSTED (default: Connect's ~4 GiB). */
  writeMaxBytes?: number;
  /** Messages smaller than this are answered uncompressed (default: Connect's 1 KiB). */
  compressMinBytes?: number;
  /** The longest deadline a caller may give; a longer one is INVALID_ARGUMENT (default: none). */
  maxTimeoutMs?: number;
  /** What requests may be compressed with and answers compressed with, preferred first (default: gzip, br). */
  acceptCompression?: Compression[];
}

export function rpcOptions(init: RpcOptionsInit): RpcOptions {
  return {
    interceptors: init.interceptors,
    requestGate: init.requestGate,
    shutdownSignal: init.shutdownSignal,
    readMaxBytes: init.readMaxBytes,
    writeMaxBytes: init.writeMaxBytes ?? CONNECT_MAX_BYTES,
    compressMinBytes: init.compressMinBytes ?? CONNECT_COMPRESS_MIN_BYTES,
    maxTimeoutMs: init.maxTimeoutMs ?? Number.MAX_SAFE_INTEGER,
    acceptCompression: init.acceptCompression ?? connectCompressions(),
    // Connect-ES ignores what JSON it does not know by default: an unknown enum
    // name ("doneness":"charcoal") then became the default value and a LIGHT
    // toastie. Refuse it, and unknown fields, as INVALID_ARGUMENT naming the
    // field, as REST and connect-go do.
    jsonOptions: { ignoreUnknownFields: false },
  };
}
