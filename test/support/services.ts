import type { Transport } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { migrateToLatest } from "../../lib/db/index.js";
import { silentLogger, type Logger } from "../../lib/logger.js";
import type { RunningServer, ServerLimits } from "../../lib/server/index.js";
import { startChillybinServer } from "../../services/chillybin/chillybin-server.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../services/chillybin/database.js";
import { createChillybinTransport } from "../../services/jafflr/chillybin-client.js";
import { startJafflrServer } from "../../services/jafflr/jafflr-server.js";
import { DEFAULT_CUSTOMER } from "../../services/jafflr/config.js";
import { Kitchen } from "../../services/jafflr/kitchen.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export const TEST_VERSION = "test-version";

export interface TestChillybin {
  server: RunningServer;
  database: TestDatabase;
  db: Kysely<ChillybinDatabase>;
  /** Sets stock levels directly in the database (a test's provider state). */
  setStock(levels: Record<string, number>): Promise<void>;
  /** The stock levels, read straight from the database. */
  stock(): Promise<Record<string, number>>;
  /** Every order row, oldest first, ids as strings (pg and PGlite type int8 differently). */
  orders(): Promise<Array<{ id: string; customer: string; ingredient: string; quantity: number; reference: string; created_at: Date }>>;
  stop(): Promise<void>;
}

/** A real chillybin on an ephemeral port, on its own migrated test database. */
export async function startChillybin(
  options: { logger?: Logger; adminToken?: string; limits?: ServerLimits; maxBodyBytes?: number } = {},
): Promise<TestChillybin> {
  const database = await createTestDatabase();
  const db = database.db as Kysely<ChillybinDatabase>;
  await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
  const server = await startChillybinServer({
    db,
    port: 0,
    version: TEST_VERSION,
    logger: options.logger ?? silentLogger(),
    drainTimeoutMs: 2_000,
    adminToken: options.adminToken,
    limits: options.limits,
    maxBodyBytes: options.maxBodyBytes,
  });
  return {
    server,
    database,
    db,
    async setStock(levels) {
      for (const [name, quantity] of Object.entries(levels)) {
        await db
          .insertInto("ingredients")
          .values({ name, quantity })
          .onConflict((oc) => oc.column("name").doUpdateSet({ quantity }))
          .execute();
      }
    },
    async stock() {
      return Object.fromEntries((await db.selectFrom("ingredients").selectAll().execute()).map((r) => [r.name, r.quantity]));
    },
    async orders() {
      const rows = await db.selectFrom("orders").select(["id", "customer", "ingredient", "quantity", "reference", "created_at"]).orderBy("id").execute();
      return rows.map((r) => ({ ...r, id: String(r.id) }));
    },
    async stop() {
      await server.close();
      await database.drop();
    },
  };
}

export interface TestJafflr {
  server: RunningServer;
  kitchen: Kitchen;
  stop(): Promise<void>;
}

/** A real jafflr on an ephemeral port, calling chillybin at `chillybinUrl`. */
export async function startJafflr(options: {
  chillybinUrl: string;
  defaultCustomer?: string;
  kitchen?: Kitchen;
  chillybinTransport?: Transport;
  chillybinTimeoutMs?: number;
  logger?: Logger;
  limits?: ServerLimits;
}): Promise<TestJafflr> {
  const kitchen = options.kitchen ?? new Kitchen(0);
  const server = await startJafflrServer({
    chillybinTransport: options.chillybinTransport ?? createChillybinTransport({ baseUrl: options.chillybinUrl }),
    chillybinTimeoutMs: options.chillybinTimeoutMs ?? 5_000,
    kitchen,
    defaultCustomer: options.defaultCustomer ?? DEFAULT_CUSTOMER,
    port: 0,
    version: TEST_VERSION,
    logger: options.logger ?? silentLogger(),
    drainTimeoutMs: 2_000,
    limits: options.limits,
  });
  return { server, kitchen, stop: () => server.close() };
}

/**
 * For a describe block: a chillybin and a jafflr calling it, started before
 * its tests and stopped after them. Read the fields inside tests and hooks.
 */
export function useServices(options: { chillybinLogger?: Logger; jafflrLogger?: Logger } = {}): { chillybin: TestChillybin; jafflr: TestJafflr } {
  const services = {} as { chillybin: TestChillybin; jafflr: TestJafflr };
  before(async () => {
    services.chillybin = await startChillybin({ logger: options.chillybinLogger });
    services.jafflr = await startJafflr({ chillybinUrl: services.chillybin.server.url, logger: options.jafflrLogger });
  });
  after(async () => {
    await services.jafflr?.stop();
    await services.chillybin?.stop();
  });
  return services;
}
