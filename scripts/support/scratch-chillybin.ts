import type { Kysely } from "kysely";
import { silentLogger, type Logger } from "../../lib/logger.js";
import type { AllowedOrigins, RunningServer, ServerLimits } from "../../lib/server/index.js";
import type { DirectPaths } from "../../lib/direct-paths.js";
import { startChillybinServer } from "../../services/chillybin/chillybin-server.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../services/chillybin/database.js";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database.js";

/** A chillybin in this process on a scratch database: what tests and the contract gate verify. */
export interface ScratchChillybin {
  server: RunningServer;
  database: ScratchDatabase;
  db: Kysely<ChillybinDatabase>;
  /** Sets stock levels directly in the database (a test's or a pact's provider state). */
  setStock(levels: Record<string, number>): Promise<void>;
  /** Closes the server and drops the database. */
  stop(): Promise<void>;
}

export interface ScratchChillybinOptions {
  version: string;
  logger?: Logger;
  adminToken?: string;
  limits?: ServerLimits;
  maxBodyBytes?: number;
  /** DATABASE_TIMEOUT_MS: the longest a call's database work may take without a shorter deadline of the caller's. */
  databaseTimeoutMs?: number;
  /** IDEMPOTENCY_KEY_TTL: how long a key and its answer are kept. */
  idempotencyKeyTtlMs?: number;
  /** CORS_ALLOWED_ORIGINS: the origins whose pages may call. */
  corsAllowedOrigins?: AllowedOrigins;
  /** DIRECT_PATHS: which direct paths the server takes (all by default). */
  directPaths?: DirectPaths;
}

/** Sets stock levels, adding ingredients it does not know yet. */
export async function setStockLevels(db: Kysely<ChillybinDatabase>, levels: Record<string, number>): Promise<void> {
  for (const [name, quantity] of Object.entries(levels)) {
    await db
      .insertInto("ingredients")
      .values({ name, quantity })
      .onConflict((oc) => oc.column("name").doUpdateSet({ quantity }))
      .execute();
  }
}

/** A real chillybin on an ephemeral port, on its own migrated scratch database. */
export async function startScratchChillybin(options: ScratchChillybinOptions): Promise<ScratchChillybin> {
  const database = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
  const db = database.db as Kysely<ChillybinDatabase>;
  const server = await startChillybinServer({
    db,
    port: 0,
    version: options.version,
    logger: options.logger ?? silentLogger(),
    drainTimeoutMs: 2_000,
    adminToken: options.adminToken,
    limits: options.limits,
    maxBodyBytes: options.maxBodyBytes,
    databaseTimeoutMs: options.databaseTimeoutMs,
    idempotencyKeyTtlMs: options.idempotencyKeyTtlMs,
    corsAllowedOrigins: options.corsAllowedOrigins,
    directPaths: options.directPaths,
  });
  return {
    server,
    database,
    db,
    setStock: (levels) => setStockLevels(db, levels),
    async stop() {
      await server.close();
      await database.drop();
    },
  };
}
