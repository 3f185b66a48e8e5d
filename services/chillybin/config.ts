import { readBoolean, readDuration, readNumber, readOptionalPostgresUrl, readOptionalString, readString, type Env } from "../../lib/config.js";
import { DEFAULT_DATABASE_TIMEOUT_MS, DEFAULT_IDEMPOTENCY_KEY_TTL_MS } from "./chillybin-server.js";
import { DEFAULT_MIGRATION_LOCK_TIMEOUT_MS } from "../../lib/db/index.js";
import { readServerSettings, type ServerSettings } from "../../lib/server/index.js";

import { CHILLYBIN_PORT } from "./port.js";

export { CHILLYBIN_PORT } from "./port.js";

export interface ChillybinConfig extends ServerSettings {
  /** A PostgreSQL server; when unset, embedded PostgreSQL in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Restock needs this bearer token when set; unset, restock is open to anyone. */
  adminToken: string | undefined;
  /** The longest a call's database work may take (waiting for a connection, for row locks, each statement) when its caller gives no shorter deadline. */
  databaseTimeoutMs: number;
  /** Connections to a PostgreSQL server (DATABASE_URL): replicas × this must stay below what the server allows. */
  databasePoolSize: number;
  /** How long an Idempotency-Key and its answer are kept before a retry counts as a new call. */
  idempotencyKeyTtlMs: number;
  /**
   * Whether chillybin migrates its database at start (it does by default). Behind a
   * transaction-pooling PgBouncer it must not: it then only checks that nothing is left
   * to migrate, and `npm run migrate` runs against the server itself.
   */
  migrateOnStart: boolean;
  /** The longest one statement of a migration waits for a lock before the run is rolled back and tried again. */
  migrationLockTimeoutMs: number;
}

/** DATABASE_POOL_SIZE's default (pg's own). */
export const DEFAULT_DATABASE_POOL_SIZE = 10;

export function readChillybinConfig(env: Env): ChillybinConfig {
  return {
    ...readServerSettings(env, { portVar: CHILLYBIN_PORT.variable, hostVar: "CHILLYBIN_HOST", defaultPort: CHILLYBIN_PORT.default }),
    databaseUrl: readOptionalPostgresUrl(env, "DATABASE_URL"),
    dataDir: readString(env, "CHILLYBIN_DATA_DIR", ".data/chillybin"),
    adminToken: readOptionalString(env, "CHILLYBIN_ADMIN_TOKEN"),
    databaseTimeoutMs: readNumber(env, "DATABASE_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUT_MS, 1),
    databasePoolSize: readNumber(env, "DATABASE_POOL_SIZE", DEFAULT_DATABASE_POOL_SIZE, 1),
    idempotencyKeyTtlMs: readDuration(env, "IDEMPOTENCY_KEY_TTL", DEFAULT_IDEMPOTENCY_KEY_TTL_MS),
    migrateOnStart: readBoolean(env, "MIGRATE_ON_START", true),
    migrationLockTimeoutMs: readNumber(env, "MIGRATION_LOCK_TIMEOUT_MS", DEFAULT_MIGRATION_LOCK_TIMEOUT_MS, 1),
  };
}
