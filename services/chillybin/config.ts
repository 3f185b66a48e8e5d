import { readByteSize, readLogLevel, readNumber, readOptionalString, readPort, readString, type Env } from "../../lib/config.js";
import { DEFAULT_MAX_BODY_BYTES } from "../../lib/server/index.js";

export interface ChillybinConfig {
  port: number;
  host: string;
  version: string;
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  logLevel: string;
  /** A PostgreSQL server; when unset, embedded PostgreSQL in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  drainTimeoutMs: number;
  /** The largest request body or message accepted (REST 413, RPC resource_exhausted beyond it). */
  maxBodyBytes: number;
  /** Restock needs this bearer token when set; unset, restock is open to anyone. */
  adminToken: string | undefined;
}

export function readChillybinConfig(env: Env): ChillybinConfig {
  return {
    port: readPort(env, "CHILLYBIN_PORT", 7001),
    host: readString(env, "CHILLYBIN_HOST", "127.0.0.1"),
    version: readString(env, "VERSION", "dev"),
    logLevel: readLogLevel(env),
    databaseUrl: readOptionalString(env, "DATABASE_URL"),
    dataDir: readString(env, "CHILLYBIN_DATA_DIR", ".data/chillybin"),
    drainTimeoutMs: readNumber(env, "DRAIN_TIMEOUT_MS", 30_000),
    maxBodyBytes: readByteSize(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
    adminToken: readOptionalString(env, "CHILLYBIN_ADMIN_TOKEN"),
  };
}
