import { Code } from "@connectrpc/connect";
import type { NodeRequest } from "../../http/index.js";
import { HttpError } from "../../http/index.js";

/** The Connect protocol version this server speaks (the header's value, and `connect=v1` in a GET's query). */
const CONNECT_VERSION = "1";
/** Unary Connect bodies, and streaming Connect's envelopes. */
const CONNECT_TYPES = new Set(["application/json", "application/proto", "application/connect+json", "application/connect+proto"]);
const GET_ENCODINGS = new Set(["json", "proto"]);

/**
 * Why a request to an RPC path is not one this server can read, as an error
 * with a Connect body, or undefined for a request Connect's handlers (or the
 * direct paths) take. Connect-ES answers these with a bare status and no body;
 * connect-go refuses a protocol version it does not speak. gRPC and gRPC-Web
 * requests pass: their handlers answer in their own protocol.
 */
export function rpcRequestProblem(req: NodeRequest, method: string, path: string): HttpError | undefined {
  const type = (req.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (type.startsWith("application/grpc")) return undefined;
  const version = req.headers["connect-protocol-version"];
  if (version !== undefined && version !== CONNECT_VERSION)
    return new HttpError(400, Code.InvalidArgument, `connect-protocol-version must be "${CONNECT_VERSION}": got "${version}"`);
  if (method === "GET") {
    const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    const connect = query.get("connect");
    if (connect !== null && connect !== `v${CONNECT_VERSION}`)
      return new HttpError(400, Code.InvalidArgument, `connect must be "v${CONNECT_VERSION}": got "${connect}"`);
    if (!GET_ENCODINGS.has(query.get("encoding") ?? ""))
      return new HttpError(
        415,
        Code.InvalidArgument,
        `a Connect GET of ${path} names its encoding (encoding=json or encoding=proto) and its message (message=…) in the query`,
      );
    return undefined;
  }
  if (!CONNECT_TYPES.has(type))
    return new HttpError(
      415,
      Code.InvalidArgument,
      `content-type ${type ? `"${type}"` : "(none)"} is not one ${path} reads: application/json or application/proto (Connect), application/grpc, application/grpc-web or application/grpc-web-text (gRPC)`,
    );
  return undefined;
}
