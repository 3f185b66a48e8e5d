import { Code, ConnectError } from "@connectrpc/connect";
import type { NodeRequest, NodeResponse } from "../../http/index.js";
import { HttpError, writeError } from "../../http/index.js";
import { refuseRequest } from "./refusal.js";
import { recordOf, recordRefusal } from "../observability/index.js";

/** The path every RPC protocol calls a method by: /package.Service/Method. */
const RPC_PATH = /^\/[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\/[A-Za-z_]\w*$/;
/** What a unary or streaming Connect call's body is. */
const CONNECT_TYPE = /^application\/(?:json|proto|connect\+\w+)\s*(?:;|$)/;

/**
 * Answers a call, in the protocol it spoke, to a method this server does not
 * serve (its path is no RPC's): gRPC and gRPC-Web get grpc-status 12, which
 * their libraries read; Connect gets 404 with code `unimplemented`, which its
 * clients read (and which a client falling back from one API version to
 * another relies on: `not_found` would mean "no such thing"). Answers false,
 * having done nothing, for a request that spoke neither (REST decides those).
 */
export function answerUnknownMethod(req: NodeRequest, res: NodeResponse, path: string): boolean {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  const message = `unknown method ${path}: this server does not serve it`;
  if (type.startsWith("application/grpc")) {
    recordRefusal(req, Code.Unimplemented, path.slice(1));
    refuseRequest(req, res, new ConnectError(message, Code.Unimplemented));
    return true;
  }
  const connect = RPC_PATH.test(path) && (req.headers["connect-protocol-version"] !== undefined || (req.method === "POST" && CONNECT_TYPE.test(type)));
  if (!connect) return false;
  recordOf(req).protocol = "connect";
  recordRefusal(req, Code.Unimplemented, path.slice(1));
  writeError(res, new HttpError(404, Code.Unimplemented, message));
  return true;
}
