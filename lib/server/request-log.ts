import type * as http from "node:http";
import type * as http2 from "node:http2";
import { ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "../logger.js";
import type { RequestHandler } from "./h1-h2c-server.js";

/** What one request did, filled in as it passes through the layers. */
export interface RequestRecord {
  /** "package.Service/Method" once the request reached an RPC handler. */
  rpc?: string;
  /** The RPC's outcome: "ok" or a Connect code name such as "not_found". */
  code?: string;
  /** Set by a front door that knows better than the content type (REST transcoding). */
  protocol?: Protocol;
}

/** Gives interceptors the record of the HTTP request they run in. */
export const requestRecordKey = createContextKey<RequestRecord | undefined>(undefined);

export type Protocol = "grpc" | "grpc-web" | "connect" | "rest" | "http";

/**
 * Which protocol a request spoke, from its content type. A request that
 * reached an RPC with any other content type spoke Connect (unary Connect is
 * plain application/json or application/proto); one that did not is plain HTTP.
 */
export function protocolOf(contentType: string | undefined, reachedRpc: boolean): Protocol {
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return reachedRpc ? "connect" : "http";
}

/** Notes the RPC and its outcome on the request's record. */
export const recordOutcome: Interceptor = (next) => async (req) => {
  // Calls that did not come through our server (in-process clients) have no record.
  const record = req.contextValues.get(requestRecordKey) ?? {};
  record.rpc = `${req.service.typeName}/${req.method.name}`;
  try {
    const res = await next(req);
    record.code = "ok";
    return res;
  } catch (error) {
    record.code = codeToString(ConnectError.from(error).code);
    throw error;
  }
};

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
const records = new WeakMap<NodeRequest, RequestRecord>();

/** The record of a Node request (made on first use). */
export function recordOf(req: NodeRequest): RequestRecord {
  let record = records.get(req);
  if (!record) records.set(req, (record = {}));
  return record;
}

/** Writes one log line when each response is done. */
export function logRequests(logger: Logger, handler: RequestHandler): RequestHandler {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const record = recordOf(req);
    res.once("close", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          method: req.method,
          path: req.url,
          protocol: record.protocol ?? protocolOf(req.headers["content-type"], record.rpc !== undefined),
          rpc: record.rpc,
          code: record.code,
          status: res.statusCode,
          durationMs: Math.round(durationMs * 100) / 100,
        },
        "request",
      );
    });
    handler(req, res);
  };
}
