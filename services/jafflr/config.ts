import { readLogLevel, readHttpUrl, readNumber, readPort, readString, type Env } from "../../lib/config.js";

export interface JafflrConfig {
  port: number;
  host: string;
  version: string;
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  logLevel: string;
  chillybinUrl: string;
  chillybinTimeoutMs: number;
  /** Multiplies every cooking time: 1 cooks as the original did, 0 instantly. */
  toastTimeScale: number;
  drainTimeoutMs: number;
}

export function readJafflrConfig(env: Env): JafflrConfig {
  return {
    port: readPort(env, "JAFFLR_PORT", 7000),
    host: readString(env, "JAFFLR_HOST", "127.0.0.1"),
    version: readString(env, "VERSION", "dev"),
    logLevel: readLogLevel(env),
    chillybinUrl: readHttpUrl(env, "CHILLYBIN_URL", "http://127.0.0.1:7001"),
    chillybinTimeoutMs: readNumber(env, "CHILLYBIN_TIMEOUT_MS", 5_000, 1),
    toastTimeScale: readNumber(env, "TOAST_TIME_SCALE", 1),
    drainTimeoutMs: readNumber(env, "DRAIN_TIMEOUT_MS", 30_000),
  };
}
