// Stage 5, the only one that touches HTTP: a REST request → its route → the
// request message → the RPC's own Connect handler (in process, so every
// interceptor runs as for any other protocol) → the REST response.
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { fromBinary, toBinary, toJson, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import { createAsyncIterable, readAllBytes, type UniversalHandler } from "@connectrpc/connect/protocol";
import { errorFromJsonBytes, errorToJson } from "@connectrpc/connect/protocol-connect";
import { BindingError, bindRequest } from "./request-binding.js";
import { HTTP_STATUS_OF_CODE } from "./http-status.js";
import { PathError } from "./path-match.js";
import { RouteTable, type Route } from "./route-table.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface RestHandlerOptions {
  /** The Connect handlers of the services (ConnectRouter.handlers). */
  handlers: readonly UniversalHandler[];
  /** Bodies larger than this are refused with 413. */
  maxBodyBytes?: number;
  /** Context values for the RPC, as the Connect path makes them. */
  contextValues?: (req: NodeRequest) => ContextValues;
  /** The request body to read (say, metered against a budget); the request itself by default. */
  body?: (req: NodeRequest, res: NodeResponse) => AsyncIterable<Uint8Array>;
}

/** Request headers that describe the REST request itself, not the call. */
const NOT_FORWARDED = new Set(["content-type", "content-length", "content-encoding", "accept-encoding", "connection", "keep-alive", "transfer-encoding", "host", "te", "upgrade"]);
/** Response headers of the inner Connect response that do not apply to the REST one. */
const NOT_RETURNED = new Set(["content-type", "content-length", "content-encoding", "accept-encoding", "connect-accept-encoding"]);

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Serves the REST routes that the handlers' google.api.http options declare,
 * answering 404 for unknown paths and 405 (with Allow) for a known path with
 * the wrong method. Route problems are thrown at construction: start-up.
 */
export function createRestHandler(table: RouteTable, options: RestHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const handlerOf = new Map<string, UniversalHandler>();
  for (const h of options.handlers) handlerOf.set(`${h.service.typeName}/${h.method.name}`, h);
  for (const route of table.routes) {
    if (!handlerOf.has(`${route.rpc.parent.typeName}/${route.rpc.name}`)) {
      throw new Error(`REST route ${route.httpMethod} ${route.template.source}: ${route.rpc.parent.typeName}.${route.rpc.name} has no handler`);
    }
  }

  return (req, res) => {
    serveRest(table, handlerOf, maxBodyBytes, options, req, res).catch((error: unknown) => {
      const connectError = error instanceof HttpError ? error : ConnectError.from(error);
      writeError(res, connectError);
    });
  };
}

/**
 * The request target read as origin-form (RFC 9112 §3.2.1): a path and a
 * query, never an authority. (`new URL("//x/pick", base)` would read "x" as
 * a host and serve /pick, past any proxy rule that matched the real path.)
 */
export function originForm(target: string): { pathname: string; searchParams: URLSearchParams } {
  const query = target.indexOf("?");
  return query < 0 ? { pathname: target, searchParams: new URLSearchParams() } : { pathname: target.slice(0, query), searchParams: new URLSearchParams(target.slice(query + 1)) };
}

async function serveRest(table: RouteTable, handlerOf: Map<string, UniversalHandler>, maxBodyBytes: number, options: RestHandlerOptions, req: NodeRequest, res: NodeResponse): Promise<void> {
  const url = originForm(req.url || "/");
  const method = req.method ?? "GET";
  let lookup;
  try {
    lookup = table.lookup(method, url.pathname);
  } catch (e) {
    if (e instanceof PathError) throw new HttpError(400, Code.InvalidArgument, e.message);
    throw e;
  }
  if (lookup.kind === "not-found") throw new HttpError(404, Code.NotFound, `no route for ${method} ${url.pathname}`);
  if (lookup.kind === "method-not-allowed") {
    throw new HttpError(405, Code.Unimplemented, `${method} is not allowed on ${url.pathname}; allowed: ${lookup.allow.join(", ")}`, { allow: lookup.allow.join(", ") });
  }
  const { route, bindings } = lookup;
  const body = await readJsonBody(req, options.body?.(req, res) ?? (req as AsyncIterable<Uint8Array>), maxBodyBytes);
  let input;
  try {
    input = bindRequest(route, bindings, url.searchParams, body);
  } catch (e) {
    if (e instanceof BindingError) throw new ConnectError(e.message, Code.InvalidArgument);
    throw e;
  }
  const { status, header, bytes } = await invoke(handlerOf.get(`${route.rpc.parent.typeName}/${route.rpc.name}`)!, route, input, req, res, options.contextValues);
  header.forEach((value, name) => {
    if (!NOT_RETURNED.has(name) && !name.startsWith("trailer-")) res.setHeader(name, value);
  });
  if (status !== 200) {
    throw errorFromJsonBytes(bytes, header, new ConnectError(`the RPC failed with HTTP ${status}`, Code.Unknown));
  }
  writeJson(res, 200, responseJson(route, fromBinary(route.rpc.output, bytes)));
}

/** Calls the RPC's Connect handler in process with binary protobuf. */
async function invoke(
  handler: UniversalHandler,
  route: Route,
  input: Parameters<typeof toBinary>[1],
  req: NodeRequest,
  res: NodeResponse,
  contextValues: RestHandlerOptions["contextValues"],
): Promise<{ status: number; header: Headers; bytes: Uint8Array }> {
  const header = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || NOT_FORWARDED.has(name) || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) header.append(name, v);
  }
  header.set("content-type", "application/proto");
  header.set("connect-protocol-version", "1");
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort(new ConnectError("the client went away", Code.Canceled));
  });
  const uRes = await handler({
    httpVersion: req.httpVersion,
    method: "POST",
    url: `http://rest${handler.requestPath}`,
    header,
    body: createAsyncIterable([toBinary(route.rpc.input, input)]),
    signal: aborted.signal,
    contextValues: contextValues?.(req),
  });
  const bytes = uRes.body ? await readAllBytes(uRes.body, Number.MAX_SAFE_INTEGER) : new Uint8Array();
  return { status: uRes.status, header: new Headers(uRes.header), bytes };
}

function responseJson(route: Route, output: Parameters<typeof toJson>[1]): JsonValue {
  // REST answers every field, zero values included: {"cooking":0,"toasting":false}, not {}.
  const json = toJson(route.rpc.output, output, { alwaysEmitImplicit: true }) as Record<string, JsonValue>;
  return route.responseBody ? (json[route.responseBody.jsonName] ?? null) : json;
}

/**
 * The JSON body, or undefined for none. An empty body counts as none whatever
 * its content type: old clients POST text/plain with nothing in it.
 */
async function readJsonBody(req: NodeRequest, source: AsyncIterable<Uint8Array>, maxBodyBytes: number): Promise<JsonValue | undefined> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBodyBytes) throw new HttpError(413, Code.ResourceExhausted, `the request body is larger than ${maxBodyBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new HttpError(413, Code.ResourceExhausted, `the request body is larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = (req.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new HttpError(415, Code.InvalidArgument, `a request body must be application/json, not ${type}`);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonValue;
  } catch (e) {
    throw new ConnectError(`the request body is not valid JSON: ${(e as Error).message}`, Code.InvalidArgument);
  }
}

function writeJson(res: NodeResponse, status: number, json: JsonValue, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Errors answer the standard HTTP status for their code, with the same JSON
 * body a Connect client gets: {"code":"not_found","message":"…","details":[…]}.
 */
export function writeError(res: NodeResponse, error: ConnectError | HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    writeJson(res, error.status, errorToJson(new ConnectError(error.message, error.code), undefined) as JsonValue, error.headers);
    return;
  }
  writeJson(res, HTTP_STATUS_OF_CODE[error.code] ?? 500, errorToJson(error, undefined) as JsonValue);
}
