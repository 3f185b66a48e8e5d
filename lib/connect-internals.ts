// Every part of Connect-ES this codebase uses that Connect marks `@private`
// ("Internal code, does not follow semantic versioning"), in one place, each
// with the reason no public API does. Nothing else imports Connect's
// protocol subpaths (test/ci/import-boundaries.test.ts), package.json pins
// Connect's exact version for them (its "pinned" entry), and
// test/lib/connect-internals.test.ts fails naming the one that changed when
// an upgrade changes any of them.
//
// Most are here for speed: the direct unary paths (lib/server/rpc/direct/unary-grpc.ts,
// unary-connect.ts, direct-invocation.ts; lib/client/unary-grpc-transport.ts)
// answer the common unary call without Connect's async-iterable pipeline, and
// use Connect's own pieces for everything the protocols define so that the
// answer is Connect's answer. DIRECT_PATHS=none turns all of them off.
// The rest frame answers Connect does not write itself (REST errors, corrected
// decoding errors) exactly as its protocol would.
import {
  compressionNegotiate,
  createMethodSerializationLookup,
  encodeEnvelope,
  envelopeDecompress,
  invokeUnaryImplementation,
  mergeNonProtocolHeaders,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJson, errorToJsonBytes, parseContentType, parseTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import * as grpc from "@connectrpc/connect/protocol-grpc";
import * as grpcWeb from "@connectrpc/connect/protocol-grpc-web";

/** Where each internal is used, and why no public API does the job. */
export const CONNECT_INTERNALS = {
  invokeUnaryImplementation: "direct paths: runs a unary implementation through the router's interceptors exactly as Connect's handlers do",
  compressionNegotiate: "direct paths: picks the response compression from (grpc-)accept-encoding as Connect's handlers do",
  createMethodSerializationLookup: "unary-connect.ts: Connect's JSON/binary (de)serialization with the router's jsonOptions and read limit",
  mergeNonProtocolHeaders:
    "direct paths and REST: an error's metadata into the answer, without overwriting protocol headers (content-type, grpc-status…), as Connect and connect-go do",
  encodeEnvelope: "decoding-errors.ts (and the bench): a gRPC/Connect envelope around a corrected message",
  codeToHttpStatus: "unary-connect.ts, REST and decoding-errors.ts: the Connect protocol's code → HTTP status table",
  errorToJson: "REST: errors as the Connect protocol's JSON, so REST and Connect clients read the same shape",
  errorToJsonBytes: "unary-connect.ts: a Connect unary error body",
  connectParseContentType: "unary-connect.ts: which requests are plain unary Connect (proto or JSON)",
  connectParseTimeout: "unary-connect.ts and REST: connect-timeout-ms, refused as Connect refuses it",
  trailerMux: "unary-connect.ts: trailers as trailer- headers, as Connect's unary protocol sends them",
  grpcParseContentType: "unary-grpc.ts: which requests are plain binary gRPC",
  grpcParseTimeout: "unary-grpc.ts: grpc-timeout, refused as Connect refuses it",
  grpcSetTrailerStatus: "unary-grpc.ts: grpc-status, grpc-message and grpc-status-details-bin from an error",
  grpcRequestHeaderWithCompression: "unary-grpc-transport.ts: a gRPC call's request headers (te, grpc-timeout, user-agent, grpc-accept-encoding)",
  grpcValidateResponseWithCompression: "unary-grpc-transport.ts: an answer's HTTP status, its encoding and a trailers-only error",
  envelopeDecompress: "unary-grpc-transport.ts: a compressed answer's message, within the read limit",
  grpcValidateTrailer: "unary-grpc-transport.ts: an answer's grpc-status and error details",
  grpcWebParseContentType: "unary-grpc.ts: which requests are plain binary gRPC-Web",
  grpcWebTrailerSerialize: "unary-grpc.ts: gRPC-Web's trailers as the body's last envelope",
} as const;

export type ConnectInternal = keyof typeof CONNECT_INTERNALS;

export { compressionNegotiate, createMethodSerializationLookup, encodeEnvelope, envelopeDecompress, invokeUnaryImplementation, mergeNonProtocolHeaders };
export { codeToHttpStatus, errorToJson, errorToJsonBytes, trailerMux };
export const connectParseContentType = parseContentType;
export const connectParseTimeout = parseTimeout;
export const grpcParseContentType = grpc.parseContentType;
export const grpcParseTimeout = grpc.parseTimeout;
export const grpcSetTrailerStatus = grpc.setTrailerStatus;
export const grpcRequestHeaderWithCompression = grpc.requestHeaderWithCompression;
export const grpcValidateResponseWithCompression = grpc.validateResponseWithCompression;
export const grpcValidateTrailer = grpc.validateTrailer;
export const grpcWebParseContentType = grpcWeb.parseContentType;
export const grpcWebTrailerSerialize = grpcWeb.trailerSerialize;
