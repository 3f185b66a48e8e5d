import { readOptionalString, readString, type Env } from "../../lib/config.js";
import { readServerSettings, type ServerSettings } from "../../lib/server/index.js";

/** chillybin's port: the variable that sets it and its default (npm start, the images and the manifests use these). */
export const CHILLYBIN_PORT = { variable: "CHILLYBIN_PORT", default: 7001 } as const;

export interface ChillybinConfig extends ServerSettings {
  /** A PostgreSQL server; when unset, embedded PostgreSQL in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Restock needs this bearer token when set; unset, restock is open to anyone. */
  adminToken: string | undefined;
}

export function readChillybinConfig(env: Env): ChillybinConfig {
  return {
    ...readServerSettings(env, { portVar: CHILLYBIN_PORT.variable, hostVar: "CHILLYBIN_HOST", defaultPort: CHILLYBIN_PORT.default }),
    databaseUrl: readOptionalString(env, "DATABASE_URL"),
    dataDir: readString(env, "CHILLYBIN_DATA_DIR", ".data/chillybin"),
    adminToken: readOptionalString(env, "CHILLYBIN_ADMIN_TOKEN"),
  };
}
