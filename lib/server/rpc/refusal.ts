import type { ConnectError } from "@connectrpc/connect";
import { writeError } from "../../http/index.js";
import { grpcPercentEncode } from "./grpc-message-encoding.js";
import { GRPC_WEB_TEXT_TYPE, isGrpcWebText } from "./grpc-web-text.js";
import { type NodeRequest, type NodeResponse, writeHead } from "../../http/index.js";

/**
 * Answers a request the server will not work on (before any RPC handler ran)
 * in the protocol it spoke: gRPC and gRPC-Web get HTTP 200 with grpc-status
 * (gRPC-Web in a trailers-only response), as their clients expect; Connect
 * and REST get the error's HTTP status with Connect's JSON error body.
 */
export function refuseRequest(req: NodeRequest, res: NodeResponse, error: ConnectError): void {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (!type.startsWith("application/grpc")) {
    writeError(res, error);
    return;
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = { "grpc-status": String(error.code), "grpc-message": grpcPercentEncode(error.rawMessage) };
  if (type.startsWith("application/grpc-web") || req.httpVersionMajor !== 2) {
    // A gRPC-Web text client reads only an answer that says it is text.
    const answerType = isGrpcWebText(type) ? GRPC_WEB_TEXT_TYPE : type.startsWith("application/grpc-web") ? "application/grpc-web+proto" : "application/grpc";
    writeHead(res, 200, { "content-type": answerType, ...status });
    res.end();
    return;
  }
  // Over HTTP/2, Node's compatibility API cannot end a stream on its HEADERS
  // frame (it always waits for trailers), so @grpc/grpc-js would not read a
  // trailers-only answer: the status goes in trailers, after empty headers.
  writeHead(res, 200, { "content-type": "application/grpc" });
  res.addTrailers(status);
  res.end();
}
