import { Code, type ContextValues } from "@connectrpc/connect";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { DirectPaths } from "../../direct-paths.js";
import { clientWentAway, type NodeRequest, type NodeResponse } from "../../http/index.js";
import type { Logger } from "../../logger.js";
import { HttpError, writeError } from "../../http/index.js";
import type { RequestAdmission } from "../front-door/index.js";
import { recordOf, recordRefusal } from "../observability/index.js";
import { rpcRequestProblem } from "./rpc-protocol-checks.js";
import { asBinaryRequest, asTextResponse, isGrpcWebText } from "./grpc-web-text.js";
import type { RpcRouter } from "./rpc-router.js";
import { createUnaryConnectHandler, isPlainUnaryConnect } from "./direct/index.js";
import { createUnaryGrpcHandler, isPlainUnaryGrpc, replay } from "./direct/index.js";

export interface RpcDispatchOptions {
  admission: RequestAdmission;
  contextValues: (req: NodeRequest) => ContextValues;
  logger: Logger;
  /**
   * Which plain unary calls take a direct path (unary-grpc.ts for grpc and
   * grpc-web, unary-connect.ts for connect); the others go through Connect's
   * handlers (the parity tests compare the two).
   */
  directPaths: DirectPaths;
}

/**
 * Answers requests on RPC paths: a method the path does not take is 405 with
 * `Allow`; plain unary calls take the direct paths; everything else goes to
 * Connect's handler. Answers false for a path that is no RPC's.
 */
export function createRpcDispatch(rpcs: RpcRouter, options: RpcDispatchOptions): (req: NodeRequest, res: NodeResponse, path: string) => boolean {
  const { admission, contextValues, logger } = options;
  const byPath = <H>(on: boolean, make: (spec: Parameters<typeof createUnaryGrpcHandler>[0]) => H) =>
    on ? new Map([...rpcs.unary].map(([path, spec]) => [path, make(spec)])) : new Map<string, H>();
  const { directPaths } = options;
  const directGrpc = byPath(directPaths.grpc, (spec) => createUnaryGrpcHandler(spec, rpcs.invoker, rpcs.options, "grpc"));
  const directGrpcWeb = byPath(directPaths["grpc-web"], (spec) => createUnaryGrpcHandler(spec, rpcs.invoker, rpcs.options, "grpc-web"));
  const directConnect = byPath(directPaths.connect, (spec) => createUnaryConnectHandler(spec, rpcs.invoker, rpcs.options));
  const acceptEncoding = rpcs.options.acceptCompression.map((c) => c.name).join(",");

  return (req, res, path) => {
    const rpc = rpcs.handlers.get(path);
    if (!rpc) return false;
    const allowed = rpcs.allowedMethods.get(path) ?? [];
    if (!allowed.includes(req.method ?? "")) {
      recordRefusal(req, Code.Unimplemented, path.slice(1));
      writeError(
        res,
        new HttpError(405, Code.Unimplemented, `${req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`, { allow: allowed.join(", ") }),
      );
      return true;
    }
    // A HEAD (allowed where Connect allows GET) is answered as the GET, without its body: Node drops it.
    const method = req.method === "HEAD" ? "GET" : req.method!;
    const problem = rpcRequestProblem(req, method, path);
    if (problem) {
      recordOf(req).protocol = "connect";
      recordRefusal(req, problem.code, path.slice(1));
      writeError(res, problem);
      return true;
    }
    // What a gRPC client may compress its requests with (gRPC's Message-Accept-Encoding), on every answer.
    if ((req.headers["content-type"] ?? "").toLowerCase().startsWith("application/grpc")) res.setHeader("grpc-accept-encoding", acceptEncoding);
    const onWriteError = (error: unknown) => {
      // A client that reset its stream or closed its connection is not a server error.
      if (clientWentAway(req, res, error)) logger.debug({ rpc: path, reason: String(error) }, "the client went away before the response was written");
      else logger.error({ err: error, rpc: path }, "writing the response failed");
      res.destroy();
    };
    const admitBytes = admission.bodyBudget(req, res);
    // Connect's handler, with any body bytes already read (by the direct path) in front.
    // gRPC-Web's text mode is its binary mode in base64: translated on the way in and out (grpc-web-text.ts).
    const text = isGrpcWebText(req.headers["content-type"]);
    const connect = (read: Uint8Array[] = []) => {
      const uReq = universalRequestFromNodeRequest(req, res, undefined, contextValues(req));
      const metered = { ...uReq, method, body: replay(read, admission.meter(req, res, uReq.body as AsyncIterable<Uint8Array>, admitBytes)) };
      rpc(text ? asBinaryRequest(metered) : metered)
        .then((uRes) => universalResponseToNodeResponse(text ? asTextResponse(uRes) : uRes, res))
        .catch(onWriteError);
    };
    const call = { req, res, contextValues: contextValues(req), admitBytes, fallback: connect, onWriteError };
    const direct =
      (isPlainUnaryGrpc(req, false) && directGrpc.get(path)) ||
      (isPlainUnaryGrpc(req, true) && directGrpcWeb.get(path)) ||
      (isPlainUnaryConnect(req) && directConnect.get(path));
    if (direct) direct(call);
    else connect();
    return true;
  };
}
