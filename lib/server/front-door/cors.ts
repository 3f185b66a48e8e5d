import { cors as connectCors } from "@connectrpc/connect";
import { ConfigError, type Env } from "../../config.js";
import { type NodeRequest, type NodeResponse, writeHead } from "../../http/index.js";
import { IDEMPOTENCY_KEY_HEADER } from "../../idempotency-key.js";
import { REQUEST_ID_HEADER } from "../../request-id.js";

// Browsers call from pages on other origins (the app on :3000, the API on
// :7000): they send a preflight (OPTIONS) before any call that is not a
// "simple request" (every Connect, gRPC-Web and JSON call), and let the page
// read an answer only when it names the page's origin. What the protocols need
// comes from Connect's own `cors` constants; the services add their own headers.

/** Which origins may call: every one (`*`), or these exactly (scheme, host and port, as browsers send Origin). */
export type AllowedOrigins = "*" | ReadonlySet<string>;

/** The headers callers of these services send beyond the protocols' own (Connect's list has those). */
const SERVICE_REQUEST_HEADERS = ["authorization", IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER, "traceparent", "tracestate"];

/** The answer's headers a page may read beyond the protocols' own: the request id, the answering version, when to retry. */
const SERVICE_RESPONSE_HEADERS = [REQUEST_ID_HEADER, "x-service-version", "retry-after", "grpc-accept-encoding"];

const ALLOWED_HEADERS = [...new Set([...connectCors.allowedHeaders, ...SERVICE_REQUEST_HEADERS].map((h) => h.toLowerCase()))].join(", ");
const EXPOSED_HEADERS = [...new Set([...connectCors.exposedHeaders, ...SERVICE_RESPONSE_HEADERS].map((h) => h.toLowerCase()))].join(", ");

/** How long a browser may keep a preflight's answer (Chromium keeps at most 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/** CORS_ALLOWED_ORIGINS: a comma-separated list of origins (https://app.example.com), or `*` for any; none when unset. */
export function readAllowedOrigins(env: Env): AllowedOrigins {
  const value = env.CORS_ALLOWED_ORIGINS?.trim() ?? "";
  if (value === "*") return "*";
  const origins = value
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    // An origin is scheme://host[:port], exactly as the browser sends it: no path, no trailing slash.
    if (!parsed || parsed.origin !== origin) {
      const hint = origin === "*" ? ": * stands alone" : parsed ? ` (the origin would be ${parsed.origin})` : "";
      throw new ConfigError(`CORS_ALLOWED_ORIGINS takes origins such as https://app.example.com, or *; "${origin}" is not one${hint}`);
    }
  }
  return new Set(origins);
}

/**
 * Answers browsers' cross-origin questions for one server: `allow` the
 * origins, `methodsOn` says which methods a path takes (none: no such path).
 */
export class Cors {
  constructor(
    private readonly allowed: AllowedOrigins,
    private readonly methodsOn: (path: string) => readonly string[],
  ) {}

  get enabled(): boolean {
    return this.allowed === "*" || this.allowed.size > 0;
  }

  /** The request's origin when it may call, undefined otherwise (or when it sent none: not a browser's cross-origin call). */
  private allowedOrigin(req: NodeRequest): string | undefined {
    const origin = req.headers.origin;
    if (typeof origin !== "string" || origin === "") return undefined;
    return this.allowed === "*" || this.allowed.has(origin) ? origin : undefined;
  }

  /**
   * For every request, before anything can answer it (refusals included):
   * lets an allowed origin's page read the answer and the headers it needs.
   */
  allowReading(req: NodeRequest, res: NodeResponse): void {
    if (!this.enabled) return;
    // The answer differs by Origin: caches must keep them apart.
    if (this.allowed !== "*") res.setHeader("vary", "Origin");
    const origin = this.allowedOrigin(req);
    if (!origin) return;
    res.setHeader("access-control-allow-origin", this.allowed === "*" ? "*" : origin);
    res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
  }

  /** Whether the request is a browser's preflight (OPTIONS asking about a method), which `answerPreflight` answers. */
  isPreflight(req: NodeRequest): boolean {
    return req.method === "OPTIONS" && req.headers.origin !== undefined && req.headers["access-control-request-method"] !== undefined;
  }

  /**
   * Answers a preflight: 204 with what the path allows for an allowed origin
   * asking for a method the path takes; 403 for any other origin, 404 for a
   * path nobody serves, 405 for a method it does not take (a browser then
   * refuses the call, and curl shows why).
   */
  answerPreflight(req: NodeRequest, res: NodeResponse, path: string): void {
    const methods = this.methodsOn(path);
    const asked = String(req.headers["access-control-request-method"]).toUpperCase();
    const refusal = !this.allowedOrigin(req)
      ? ([403, `origin ${req.headers.origin} may not call this server (CORS_ALLOWED_ORIGINS)`] as const)
      : methods.length === 0
        ? ([404, `nothing is served at ${path}`] as const)
        : !methods.includes(asked)
          ? ([405, `${asked} is not allowed on ${path}; allowed: ${methods.join(", ")}`] as const)
          : undefined;
    if (refusal) {
      writeHead(res, refusal[0], { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end(`${refusal[1]}\n`);
      return;
    }
    writeHead(res, 204, {
      "access-control-allow-methods": methods.join(", "),
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    });
    res.end();
  }
}
