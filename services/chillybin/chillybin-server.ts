import type { Kysely } from "kysely";
import { inLimitedTransaction, pingDatabase, poolUsage, workDeadline } from "../../lib/db/index.js";
import { requireBearerToken, serve, type RunningServer, type ServiceServerOptions } from "../../lib/server/index.js";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";
import { type Batchers, createBatchers } from "./batchers.js";
import type { ChillybinDatabase } from "./database.js";
import { IdempotentCalls, type Store } from "./idempotent-calls.js";
import { countKeys, startKeyPruner } from "./key-pruner.js";
import { chillybinMetrics } from "./metrics.js";
import { Orders } from "./orders.js";
import { chillybinErrorCodes, chillybinRoutes } from "./service.js";
import { Stock } from "./stock.js";
import { countV1PickCallers } from "./v1-pick-callers.js";

export interface ChillybinServerOptions extends ServiceServerOptions {
  db: Kysely<ChillybinDatabase>;
  /** When set, administrative calls (Restock) need "Authorization: Bearer <adminToken>". */
  adminToken?: string;
  /** The longest any call's database work may take when its caller gives no shorter deadline (DATABASE_TIMEOUT_MS). */
  databaseTimeoutMs?: number;
  /** How long an Idempotency-Key and its answer are kept (IDEMPOTENCY_KEY_TTL). */
  idempotencyKeyTtlMs?: number;
}

/** IDEMPOTENCY_KEY_TTL's default: a day, as Stripe keeps them. */
export const DEFAULT_IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

/** How often expired keys are pruned: a tenth of their lifetime, at most once a minute. */
const pruneInterval = (ttlMs: number) => Math.min(60_000, Math.max(100, ttlMs / 10));

/** DATABASE_TIMEOUT_MS's default: below jafflr's CHILLYBIN_TIMEOUT_MS (5 s), so a toastie hears chillybin's own answer. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 4_000;

/** A scrape's reads have no caller who could stop waiting, only DATABASE_TIMEOUT_MS. */
const NO_CALLER = new AbortController();

/** The calls that change stock for everyone rather than take some of it. */
export const ADMIN_RPCS = [`${ChillybinService.typeName}/${ChillybinService.method.restock.name}`];

/** chillybin's parts, each built once on its database; the server hands each what it needs. */
export interface ChillybinParts {
  db: Kysely<ChillybinDatabase>;
  /** Shared by every call, so concurrent picks and orders share statements (and read by the metrics). */
  batchers: Batchers;
  stock: Stock;
  orders: Orders;
  /** Calls with an Idempotency-Key happen once; without one they use `stock` and `orders`. */
  calls: IdempotentCalls;
  /** The longest a call's database work may take when its caller gives no shorter deadline. */
  databaseTimeoutMs: number;
}

/** Builds chillybin's parts on a database: the one place they are put together. */
export function composeChillybin(
  db: Kysely<ChillybinDatabase>,
  { databaseTimeoutMs = DEFAULT_DATABASE_TIMEOUT_MS, idempotencyKeyTtlMs = DEFAULT_IDEMPOTENCY_KEY_TTL_MS } = {},
): ChillybinParts {
  const batchers = createBatchers(db);
  const store: Store = { stock: new Stock(db, batchers.picks), orders: new Orders(db, batchers.orders) };
  return { db, batchers, ...store, calls: new IdempotentCalls(db, store, idempotencyKeyTtlMs), databaseTimeoutMs };
}

/** chillybin on one port: its RPCs, their REST paths, and health that follows the database. */
export async function startChillybinServer({
  db,
  adminToken,
  databaseTimeoutMs,
  idempotencyKeyTtlMs = DEFAULT_IDEMPOTENCY_KEY_TTL_MS,
  ...server
}: ChillybinServerOptions): Promise<RunningServer> {
  const parts = composeChillybin(db, { databaseTimeoutMs, idempotencyKeyTtlMs });
  const v1PickCallers = countV1PickCallers();
  const running = await serve({
    ...server,
    routes: chillybinRoutes(parts),
    openApi: { title: "chillybin", bearerRpcs: adminToken ? ADMIN_RPCS : [] },
    errorCodes: chillybinErrorCodes,
    readinessChecks: [() => pingDatabase(db)],
    metrics: (registry) => {
      chillybinMetrics({
        stock: () => parts.stock.levels(workDeadline(NO_CALLER.signal, undefined, parts.databaseTimeoutMs)),
        batchers: parts.batchers,
        pool: () => poolUsage(db),
        keys: () => inLimitedTransaction(db, Date.now() + parts.databaseTimeoutMs, countKeys),
        logger: server.logger,
      })(registry);
      v1PickCallers.metrics(registry);
    },
    interceptors: [v1PickCallers.interceptor, ...(adminToken ? [requireBearerToken(adminToken, ADMIN_RPCS)] : [])],
  });
  // Expired keys are pruned off the hot path, while the server runs.
  const pruner = startKeyPruner(db, { ttlMs: idempotencyKeyTtlMs, intervalMs: pruneInterval(idempotencyKeyTtlMs), logger: server.logger });
  return {
    ...running,
    async close() {
      await pruner.stop();
      await running.close();
    },
  };
}
