// Stage 5, the only one that touches HTTP: a REST request → its route → the
// request message → the RPC, called in process (`call`: the server's direct
// invocation, so every interceptor runs as for any other protocol) → the
// REST response.
import { toJson, type DescMethod, type DescMethodUnary, type JsonValue, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
// The Connect protocol's code → HTTP status mapping is the standard one google.api.http transcoding uses.
import { mergeNonProtocolHeaders } from "../connect-internals.js";
import { HttpError, writeError } from "../http/index.js";
import { type NodeRequest, type NodeResponse, toFetchHeaders, writeHead } from "../http/index.js";
import { BindingError, bindRequest } from "./request-binding.js";
import { DEFAULT_MAX_BODY_BYTES } from "../http/index.js";
import { PathError } from "./path-match.js";
import type { RouteTable, Route } from "./route-table.js";

/**
 * Calls an RPC in process for a REST request, with the request's headers:
 * the answer or the ConnectError it failed with, and the headers it set.
 */
export type RestCall = (
  method: DescMethodUnary,
  input: Message,
  header: Headers,
  req: NodeRequest,
  res: NodeResponse,
) => Promise<{ header: Headers; output?: Message; error?: ConnectError }>;

export interface RestHandlerOptions {
  /** The RPCs that can be called ("package.Service/Method"); a route to any other is refused at start-up. */
  rpcs: ReadonlySet<string>;
  call: RestCall;
  /** Bodies larger than this are refused with 413. */
  maxBodyBytes?: number;
  /** The request body to read (say, metered against a budget); the request itself by default. */
  body?: (req: NodeRequest, res: NodeResponse) => AsyncIterable<Uint8Array>;
  /**
   * Told of every error answer, with the RPC the request's route leads to
   * (undefined when no route matched): for logs and metrics of requests
   * refused before they reach the RPC (a bad query parameter, a wrong method).
   */
  onError?: (req: NodeRequest, rpc: DescMethod | undefined, error: ConnectError | HttpError) => void;
  /** Told of the route a request matched, before its RPC is called (for traces and logs). */
  onRoute?: (req: NodeRequest, route: Route) => void;
}

/** Request headers that describe the REST request itself, not the call. */
const NOT_FORWARDED = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "accept-encoding",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "host",
  "te",
  "upgrade",
]);
/** Response headers the RPC set that do not apply to the REST response. */
const NOT_RETURNED = new Set(["content-type", "content-length", "content-encoding", "accept-encoding", "connect-accept-encoding"]);

/**
 * Serves the REST routes that the handlers' google.api.http options declare,
 * answering 404 for unknown paths and 405 (with Allow) for a known path with
 * the wrong method. Route problems are thrown at construction: start-up.
 */
export function createRestHandler(table: RouteTable, options: RestHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  for (const route of table.routes) {
    if (!options.rpcs.has(`${route.rpc.parent.typeName}/${route.rpc.name}`)) {
      throw new Error(`REST route ${route.httpMethod} ${route.template.source}: ${route.rpc.parent.typeName}.${route.rpc.name} has no handler`);
    }
  }

  return (req, res) => {
    let rpc: DescMethod | undefined;
    const onRoute = (route: Route) => {
      rpc = route.rpc;
      options.onRoute?.(req, route);
    };
    serveRest(table, maxBodyBytes, options, req, res, onRoute).catch((error: unknown) => {
      const connectError = error instanceof HttpError ? error : ConnectError.from(error);
      options.onError?.(req, rpc, connectError);
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
  return query < 0
    ? { pathname: target, searchParams: new URLSearchParams() }
    : { pathname: target.slice(0, query), searchParams: new URLSearchParams(target.slice(query + 1)) };
}

async function serveRest(
  table: RouteTable,
  maxBodyBytes: number,
  options: RestHandlerOptions,
  req: NodeRequest,
  res: NodeResponse,
  onRoute: (route: Route) => void,
): Promise<void> {
  const url = originForm(req.url || "/");
  const method = req.method ?? "GET";
  let lookup: ReturnType<RouteTable["lookup"]>;
  try {
    lookup = table.lookup(method, url.pathname);
  } catch (e) {
    if (e instanceof PathError) throw new HttpError(400, Code.InvalidArgument, e.message);
    throw e;
  }
  if (lookup.kind === "not-found") throw new HttpError(404, Code.NotFound, `no route for ${method} ${url.pathname}`);
  if (lookup.kind === "method-not-allowed") {
    throw new HttpError(405, Code.Unimplemented, `${method} is not allowed on ${url.pathname}; allowed: ${lookup.allow.join(", ")}`, {
      allow: lookup.allow.join(", "),
    });
  }
  const { route, bindings } = lookup;
  onRoute(route);
  const body = await readJsonBody(req, options.body?.(req, res) ?? (req as AsyncIterable<Uint8Array>), maxBodyBytes);
  let input: ReturnType<typeof bindRequest>;
  try {
    input = bindRequest(route, bindings, url.searchParams, body);
  } catch (e) {
    if (e instanceof BindingError) throw new ConnectError(e.message, Code.InvalidArgument);
    throw e;
  }
  const header = toFetchHeaders(req.headers, NOT_FORWARDED);
  const outcome = await options.call(route.rpc as DescMethodUnary, input, header, req, res);
  outcome.header.forEach((value, name) => {
    if (!NOT_RETURNED.has(name)) res.setHeader(name, value);
  });
  if (outcome.error) {
    // What the error carries, as Connect answers it: never in place of a protocol header (content-type…), and nothing from an error relayed from another service.
    if (!outcome.error.isWireError) {
      const metadata = new Headers();
      mergeNonProtocolHeaders(metadata, outcome.error.metadata);
      for (const [name, value] of metadata) res.setHeader(name, value);
    }
    throw outcome.error;
  }
  writeJson(res, 200, responseJson(route, outcome.output!));
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
  // A compressed body read as JSON would be "not valid JSON", which misleads: say what is not taken (RFC 9110 §15.5.16).
  const coding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (coding !== "identity") {
    throw new HttpError(415, Code.InvalidArgument, `a request body must not be compressed (content-encoding: ${coding}): send it as plain JSON`, {
      "accept-encoding": "identity",
    });
  }
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

function writeJson(res: NodeResponse, status: number, json: JsonValue): void {
  const text = JSON.stringify(json);
  writeHead(res, status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
