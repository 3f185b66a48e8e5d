import type { Transport } from "@connectrpc/connect";
import type { DirectPaths } from "../../lib/direct-paths.js";
import { silentLogger, type Logger } from "../../lib/logger.js";
import type { AllowedOrigins, RunningServer, ServerLimits } from "../../lib/server/index.js";
import { createChillybinTransport } from "../../services/jafflr/chillybin-client.js";
import { startJafflrServer } from "../../services/jafflr/jafflr-server.js";
import { DEFAULT_CUSTOMER } from "../../services/jafflr/config.js";
import { Kitchen } from "../../services/jafflr/kitchen.js";
import { startScratchChillybin, type ScratchChillybin, type ScratchChillybinOptions } from "../../scripts/support/scratch-chillybin.js";

export const TEST_VERSION = "test-version";

export interface TestChillybin extends ScratchChillybin {
  /** The stock levels, read straight from the database. */
  stock(): Promise<Record<string, number>>;
  /** Every order row, oldest first, ids as strings (pg and PGlite type int8 differently). */
  orders(): Promise<Array<{ id: string; customer: string; ingredient: string; quantity: number; reference: string; created_at: Date }>>;
}

/** A real chillybin on an ephemeral port, on its own migrated scratch database, with what tests read. */
export async function startChillybin(options: Omit<ScratchChillybinOptions, "version"> = {}): Promise<TestChillybin> {
  const chillybin = await startScratchChillybin({ version: TEST_VERSION, ...options });
  const { db } = chillybin;
  return {
    ...chillybin,
    async stock() {
      return Object.fromEntries((await db.selectFrom("ingredients").selectAll().execute()).map((r) => [r.name, r.quantity]));
    },
    async orders() {
      const rows = await db.selectFrom("orders").select(["id", "customer", "ingredient", "quantity", "reference", "created_at"]).orderBy("id").execute();
      return rows.map((r) => ({ ...r, id: String(r.id) }));
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
  /** Which direct paths jafflr's server and its client to chillybin take (all by default). */
  directPaths?: DirectPaths;
  drainTimeoutMs?: number;
  corsAllowedOrigins?: AllowedOrigins;
}): Promise<TestJafflr> {
  const kitchen = options.kitchen ?? new Kitchen(0);
  const server = await startJafflrServer({
    chillybinTransport:
      options.chillybinTransport ?? createChillybinTransport({ baseUrl: options.chillybinUrl, directCalls: options.directPaths?.client ?? true }),
    chillybinTimeoutMs: options.chillybinTimeoutMs ?? 5_000,
    kitchen,
    defaultCustomer: options.defaultCustomer ?? DEFAULT_CUSTOMER,
    port: 0,
    version: TEST_VERSION,
    logger: options.logger ?? silentLogger(),
    drainTimeoutMs: options.drainTimeoutMs ?? 2_000,
    limits: options.limits,
    directPaths: options.directPaths,
    corsAllowedOrigins: options.corsAllowedOrigins,
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
