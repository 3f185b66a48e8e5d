import { readHttpUrl, readNumber, readString, type Env } from "../../lib/config.js";
import { readServerSettings, type ServerSettings } from "../../lib/server/index.js";

import { JAFFLR_PORT } from "./port.js";

export { JAFFLR_PORT } from "./port.js";

/** Who toasties without a customer are recorded for, unless JAFFLR_DEFAULT_CUSTOMER says otherwise. */
export const DEFAULT_CUSTOMER = "walk-in";

export interface JafflrConfig extends ServerSettings {
  chillybinUrl: string;
  chillybinTimeoutMs: number;
  /** Retries of calls that never reached chillybin, and the circuit breaker. */
  chillybinResilience: { retries: number; breakAfter: number; halfOpenAfterMs: number };
  /** Multiplies every cooking time: 1 cooks as the original did, 0 instantly. */
  toastTimeScale: number;
  /** Who a toastie ordered without a customer is recorded for (chillybin records every order under a customer). */
  defaultCustomer: string;
}

export function readJafflrConfig(env: Env): JafflrConfig {
  return {
    ...readServerSettings(env, { portVar: JAFFLR_PORT.variable, hostVar: "JAFFLR_HOST", defaultPort: JAFFLR_PORT.default }),
    chillybinUrl: readHttpUrl(env, "CHILLYBIN_URL", "http://127.0.0.1:7001"),
    chillybinTimeoutMs: readNumber(env, "CHILLYBIN_TIMEOUT_MS", 5_000, 1),
    chillybinResilience: {
      retries: readNumber(env, "CHILLYBIN_RETRIES", 2),
      breakAfter: readNumber(env, "CHILLYBIN_BREAKER_THRESHOLD", 5, 1),
      halfOpenAfterMs: readNumber(env, "CHILLYBIN_BREAKER_HALF_OPEN_MS", 2_000, 1),
    },
    toastTimeScale: readNumber(env, "TOAST_TIME_SCALE", 1),
    defaultCustomer: readString(env, "JAFFLR_DEFAULT_CUSTOMER", DEFAULT_CUSTOMER),
  };
}
