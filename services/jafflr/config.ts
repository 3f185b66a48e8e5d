import { ConfigError, readHttpUrl, readNumber, readOptionalString, type Env } from "../../lib/config.js";
import { readServerSettings, type ServerSettings } from "../../lib/server/index.js";

export interface JafflrConfig extends ServerSettings {
  chillybinUrl: string;
  chillybinTimeoutMs: number;
  /** Retries of calls that never reached chillybin, and the circuit breaker. */
  chillybinResilience: { retries: number; breakAfter: number; halfOpenAfterMs: number };
  /** Multiplies every cooking time: 1 cooks as the original did, 0 instantly. */
  toastTimeScale: number;
  /** Where the feature flags come from (at most one source); none: every customer on v1. */
  flags: FlagsConfig;
}

export type FlagsConfig =
  | { source: "none" }
  | { source: "file"; path: string; pollMs: number }
  | { source: "env"; json: string }
  | { source: "database"; url: string; pollMs: number };

export function readFlagsConfig(env: Env): FlagsConfig {
  const file = readOptionalString(env, "FLAGS_FILE");
  const json = readOptionalString(env, "FLAGS_JSON");
  const url = readOptionalString(env, "FLAGS_DATABASE_URL");
  const set = [file && "FLAGS_FILE", json && "FLAGS_JSON", url && "FLAGS_DATABASE_URL"].filter(Boolean);
  if (set.length > 1) throw new ConfigError(`set only one flag source, not ${set.join(" and ")}`);
  const pollMs = readNumber(env, "FLAGS_POLL_MS", 2_000, 10);
  if (file) return { source: "file", path: file, pollMs };
  if (json) return { source: "env", json };
  if (url) return { source: "database", url, pollMs };
  return { source: "none" };
}

export function readJafflrConfig(env: Env): JafflrConfig {
  return {
    ...readServerSettings(env, { portVar: "JAFFLR_PORT", hostVar: "JAFFLR_HOST", defaultPort: 7000 }),
    chillybinUrl: readHttpUrl(env, "CHILLYBIN_URL", "http://127.0.0.1:7001"),
    chillybinTimeoutMs: readNumber(env, "CHILLYBIN_TIMEOUT_MS", 5_000, 1),
    chillybinResilience: {
      retries: readNumber(env, "CHILLYBIN_RETRIES", 2),
      breakAfter: readNumber(env, "CHILLYBIN_BREAKER_THRESHOLD", 5, 1),
      halfOpenAfterMs: readNumber(env, "CHILLYBIN_BREAKER_HALF_OPEN_MS", 2_000, 1),
    },
    toastTimeScale: readNumber(env, "TOAST_TIME_SCALE", 1),
    flags: readFlagsConfig(env),
  };
}
