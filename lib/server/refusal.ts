import type { ConnectError } from "@connectrpc/connect";
import { writeError } from "../transcoding/index.js";
import { grpcPercentEncode } from "./grpc-message-encoding.js";
import type { NodeRequest, NodeResponse } from "./h1-h2c-server.js";


/**
 * Answers a request the server will not work on (before any RPC handler ran)
 * in the protocol it spoke: gRPC and gRPC-Web get a trailers-only response
 * (HTTP 200, grpc-status in the headers), as their clients expect; Connect
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
  res.writeHead(200, {
    "content-type": type.startsWith("application/grpc-web") ? "application/grpc-web+proto" : "application/grpc",
    "grpc-status": String(error.code),
    "grpc-message": grpcPercentEncode(error.rawMessage),
  });
  res.end();
}
