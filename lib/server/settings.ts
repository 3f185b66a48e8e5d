import { type LogFormat, readByteSize, readLogFormat, readLogLevel, readNumber, readPort, readString, type Env } from "../config.js";
import { readMemoryAtRestAfter } from "../memory-at-rest.js";
import { type AllowedOrigins, readAllowedOrigins, readServerLimits, type ServerLimits } from "./front-door/index.js";
import { DEFAULT_MAX_BODY_BYTES } from "../http/index.js";
import { readDirectPaths, type DirectPaths } from "../direct-paths.js";
import type { ListenVariables } from "./listen-problem.js";
import type { ServeOptions } from "./serve.js";

/** What a service passes on to serve(): its server's own settings and its logger. */
export type ServiceServerOptions = Pick<
  ServeOptions,
  "port" | "host" | "listenVariables" | "version" | "logger" | "drainTimeoutMs" | "maxBodyBytes" | "limits" | "directPaths" | "corsAllowedOrigins"
>;

/** The settings every service's server reads from the environment, the same way. */
export interface ServerSettings {
  port: number;
  host: string;
  /** The variables port and host came from, named when listening fails. */
  listenVariables: ListenVariables;
  /** Reported in logs, metrics and the x-service-version header. */
  version: string;
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  logLevel: string;
  /** JSON lines, or text for people (LOG_FORMAT; pretty by default on a terminal). */
  logFormat: LogFormat;
  /** How long shutdown waits for requests in flight. */
  drainTimeoutMs: number;
  /** The largest request body or message accepted (REST 413, RPC resource_exhausted beyond it). */
  maxBodyBytes: number;
  /** What one client, and all together, may hold on the server (limits.ts; the README's "Limits"). */
  limits: ServerLimits;
  /** Which direct unary paths are on (DIRECT_PATHS; lib/direct-paths.ts): all unless an operator turns them off. */
  directPaths: DirectPaths;
  /** Origins whose pages may call (CORS_ALLOWED_ORIGINS): none unless an operator names them, or `*`. */
  corsAllowedOrigins: AllowedOrigins;
  /** How long the service must be quiet before it gives back what a load grew its heap by (MEMORY_AT_REST_AFTER; undefined: off). */
  memoryAtRestAfterMs: number | undefined;
}

/** Reads them; the port and host variables are the service's own (CHILLYBIN_PORT…), the rest shared. */
export function readServerSettings(env: Env, names: { portVar: string; hostVar: string; defaultPort: number }): ServerSettings {
  const maxBodyBytes = readByteSize(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES);
  return {
    port: readPort(env, names.portVar, names.defaultPort),
    host: readString(env, names.hostVar, "127.0.0.1"),
    listenVariables: { port: names.portVar, host: names.hostVar },
    version: readString(env, "VERSION", "dev"),
    logLevel: readLogLevel(env),
    logFormat: readLogFormat(env, process.stdout.isTTY === true),
    drainTimeoutMs: readNumber(env, "DRAIN_TIMEOUT_MS", 30_000),
    maxBodyBytes,
    limits: readServerLimits(env, maxBodyBytes),
    directPaths: readDirectPaths(env),
    corsAllowedOrigins: readAllowedOrigins(env),
    memoryAtRestAfterMs: readMemoryAtRestAfter(env),
  };
}
