import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { codeName } from "../../codes.js";
import type { Logger } from "../../logger.js";
import type { NodeRequest, RequestHandler } from "../../http/index.js";
import type { ServerMetrics } from "./metrics.js";
import { protocolOf, type Protocol } from "./protocol.js";
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from "../../request-id.js";

/** What one request did, filled in as it passes through the layers. */
export interface RequestRecord {
  /** "package.Service/Method" once the request reached an RPC handler. */
  rpc?: string;
  /** The RPC's outcome: "ok" or a Connect code name such as "not_found". */
  code?: string;
  /** Set by a front door that knows better than the content type (REST transcoding). */
  protocol?: Protocol;
  /** The caller's x-request-id, or one made for this request. */
  requestId?: string;
  /** The trace the request's RPC ran in (its server span), for the access line. */
  trace?: { trace_id?: string; span_id?: string };
  /** The REST route the request took: its method and path template ("GET /pick"). */
  route?: { method: string; template: string };
}

/** Gives interceptors the record of the HTTP request they run in. */
export const requestRecordKey = createContextKey<RequestRecord | undefined>(undefined);

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
    record.code = codeName(ConnectError.from(error).code);
    throw error;
  }
};

/** Notes who refused a request, and how, when it was refused before any RPC ran (the RPC path or route tried, if any). */
export function recordRefusal(req: NodeRequest, code: Code, rpc?: string): void {
  const record = recordOf(req);
  record.rpc ??= rpc;
  record.code ??= codeName(code);
}

/**
 * A code name for a response nothing recorded a code for (plain HTTP such as
 * /health, or a refusal inside a library): "ok" below 400, else the code the
 * standard gRPC → HTTP mapping gives that status, so metric labels and log
 * lines name codes, never bare HTTP numbers.
 */
export function codeOfStatus(status: number): string {
  if (status < 400) return "ok";
  const code = STATUS_CODES[status] ?? (status >= 500 ? Code.Internal : Code.InvalidArgument);
  return codeName(code);
}

const STATUS_CODES: Readonly<Record<number, Code>> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  405: Code.Unimplemented,
  408: Code.DeadlineExceeded,
  409: Code.Aborted,
  413: Code.ResourceExhausted,
  415: Code.InvalidArgument,
  429: Code.ResourceExhausted,
  499: Code.Canceled,
  501: Code.Unimplemented,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

const CANCELED = codeName(Code.Canceled);
/** What access logs (nginx's among them) call a response the client left before it was written: no client ever receives it. */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * The code a request ended with, when its response closes. A response that
 * was never written to the end, or whose end the client never took (it
 * stopped reading: SEND_TIMEOUT_MS), lost its client: the call was canceled
 * (or abandoned), whatever the RPC would have answered, unless a refusal was
 * recorded first (a server that resets a stream on purpose says why).
 */
function outcomeAtClose(record: RequestRecord, res: WrittenResponse): string {
  if (!answerTaken(res) && (record.code === undefined || record.code === "ok")) return CANCELED;
  return record.code ?? codeOfStatus(res.statusCode);
}

type WrittenResponse = { writableEnded: boolean; writableFinished: boolean; statusCode: number };

/**
 * Whether the whole answer was written and taken. Both are needed: an HTTP/2
 * stream its client resets reads as finished though nothing was written, and
 * an answer written but never taken reads as ended.
 */
function answerTaken(res: WrittenResponse): boolean {
  return res.writableEnded && res.writableFinished;
}

const records = new WeakMap<NodeRequest, RequestRecord>();

/** The record of a Node request (made on first use). */
export function recordOf(req: NodeRequest): RequestRecord {
  let record = records.get(req);
  if (!record) {
    record = {};
    records.set(req, record);
  }
  return record;
}

/**
 * Gives each request its id (the caller's x-request-id, or a new one; echoed
 * in the response), counts it in flight, and when its response is done writes
 * one log line and its metrics.
 */
export function observeRequests(logger: Logger, metrics: ServerMetrics, handler: RequestHandler): RequestHandler {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const record = recordOf(req);
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    record.requestId = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    metrics.inFlight.inc();
    res.once("close", () => {
      metrics.inFlight.dec();
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const protocol = record.protocol ?? protocolOf(req.headers["content-type"], record.rpc !== undefined);
      const [service, method] = record.rpc?.split("/") ?? ["none", "none"];
      const code = outcomeAtClose(record, res);
      metrics.observe({ service: service!, method: method!, protocol, code, durationSeconds });
      // The line's object is built only for a logger that writes it (LOG_LEVEL=warn skips every access line).
      if (!logger.isLevelEnabled("info")) return;
      logger.info(
        {
          requestId,
          httpMethod: req.method,
          path: req.url,
          protocol,
          rpc: record.rpc,
          code,
          status: code === CANCELED && !answerTaken(res) ? CLIENT_CLOSED_REQUEST : res.statusCode,
          durationMs: Math.round(durationSeconds * 1e5) / 100,
          ...record.trace,
        },
        "request",
      );
    });
    runWithRequestId(requestId, () => handler(req, res));
  };
}
