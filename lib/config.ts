// Environment → typed configuration. Each reader names the variable it read,
// so a bad value stops start-up with a message that says what to fix.
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function readOptionalString(env: Env, name: string): string | undefined {
  return raw(env, name);
}

/** A TCP port: 0 (any free port) to 65535. */
export function readPort(env: Env, name: string, fallback: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(`${name} must be a port number from 0 to 65535, got "${value}"`);
  }
  return Number(value);
}

/** A finite number no smaller than `min`. */
export function readNumber(env: Env, name: string, fallback: number, min = 0): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) {
    throw new ConfigError(`${name} must be a number no smaller than ${min}, got "${value}"`);
  }
  return parsed;
}

/** A size in bytes: a whole number, at least 1. */
export function readByteSize(env: Env, name: string, fallback: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(`${name} must be a whole number of bytes, at least 1, got "${value}"`);
  return Number(value);
}

/** true or false (as written), or the fallback when unset. */
export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (value !== "true" && value !== "false") throw new ConfigError(`${name} must be true or false, got "${value}"`);
  return value === "true";
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration with its unit (500ms, 90s, 15m, 24h), in milliseconds: at least 1 ms. */
export function readDuration(env: Env, name: string, fallbackMs: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallbackMs;
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  const ms = match ? Number(match[1]) * DURATION_UNITS[match[2]!]! : 0;
  if (ms < 1) throw new ConfigError(`${name} must be a duration with its unit (500ms, 90s, 15m, 24h), got "${value}"`);
  return ms;
}

/** `value` with the password of a user:password@ part starred: a refused URL is repeated in the message. */
function withoutPassword(value: string): string {
  // Up to the last "@": a password may hold any character, "/" and "@" too when not escaped.
  return value.replace(/^([^/]*\/\/[^:@/]*):.*@/, "$1:***@");
}

/** `value` parsed, if it is an absolute URL of one of `protocols`; else a ConfigError saying it must be `what`. */
function readUrlOf(name: string, value: string, protocols: readonly string[], what: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // said below
  }
  if (!url || !protocols.includes(url.protocol)) throw new ConfigError(`${name} must be ${what}, got "${withoutPassword(value)}"`);
  return url;
}

/** An absolute http(s) URL, returned without a trailing slash. */
export function readHttpUrl(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  readUrlOf(name, value, ["http:", "https:"], "an absolute http(s) URL (http://host:port)");
  return value.replace(/\/+$/, "");
}

/** A PostgreSQL connection URL (postgres:// or postgresql://, as libpq and pg take it), or undefined when unset. */
export function readOptionalPostgresUrl(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  // No host is pg's default (localhost), and postgres:///db?host=/run/postgresql a socket: both are fine.
  readUrlOf(name, value, ["postgres:", "postgresql:"], "a PostgreSQL URL (postgres://user@host:port/database)");
  return value;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** How log lines are written: one JSON object each (for machines), or coloured text (for people). */
export type LogFormat = "json" | "pretty";

/**
 * LOG_FORMAT: json or pretty; by default pretty when `terminal` (stdout is a
 * terminal someone reads), json otherwise (a file, a pipe, a log collector).
 */
export function readLogFormat(env: Env, terminal: boolean): LogFormat {
  const format = readString(env, "LOG_FORMAT", terminal ? "pretty" : "json").toLowerCase();
  if (format !== "json" && format !== "pretty") throw new ConfigError(`LOG_FORMAT must be json or pretty, got "${format}"`);
  return format;
}

/** LOG_LEVEL: one of pino's levels; info by default. */
export function readLogLevel(env: Env): string {
  const level = readString(env, "LOG_LEVEL", "info").toLowerCase();
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`);
  return level;
}
