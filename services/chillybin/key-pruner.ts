import { sql, type Kysely } from "kysely";
import { limitTransaction } from "../../lib/db/index.js";
import type { Logger } from "../../lib/logger.js";
import type { ChillybinDatabase } from "./database.js";

/** Keys deleted by one statement: small, so each delete is short. */
const PRUNE_BATCH = 500;
/** The longest one prune statement may wait or run. */
const PRUNE_TIMEOUT_MS = 2_000;

/**
 * Deletes idempotency keys older than `ttlMs`, off the hot path: every
 * `intervalMs`, in batches of PRUNE_BATCH until none is left, each its own
 * short transaction that skips any key a call holds (SKIP LOCKED) and never
 * touches the ingredients rows picks need. Answers how many it deleted.
 */
export async function pruneExpiredKeys(db: Kysely<ChillybinDatabase>, ttlMs: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      await limitTransaction(trx, PRUNE_TIMEOUT_MS);
      const result = await sql`
        delete from idempotency_keys where (key, rpc) in (
          select key, rpc from idempotency_keys
          where created_at < now() - make_interval(secs => ${ttlMs / 1000})
          order by created_at
          limit ${PRUNE_BATCH}
          for update skip locked
        )`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
    deleted += n;
    if (n < PRUNE_BATCH) return deleted;
  }
}

/** Below this many keys countKeys counts them; above, it reads PostgreSQL's statistics. */
export const COUNTED_KEYS_BELOW = 10_000;

/**
 * How many keys are kept: counted while few, otherwise PostgreSQL's own
 * estimate, as its planner makes it (the rows per page its last (auto)analyze
 * saw, times the table's pages now). A day of keys (IDEMPOTENCY_KEY_TTL's
 * default) can be millions of rows, and every scrape would count them all
 * (2 million: ~0.2–0.3 s of the database's time, against ~1 ms).
 */
export async function countKeys(db: Kysely<ChillybinDatabase>): Promise<number> {
  const { rows } = await sql<{ estimate: string | number | null }>`
    select (c.reltuples / nullif(c.relpages, 0) * (pg_relation_size(c.oid) / current_setting('block_size')::int))::bigint as estimate
    from pg_class c where c.oid = 'idempotency_keys'::regclass`.execute(db);
  // Never analyzed: reltuples is -1 (PostgreSQL 14 and later), relpages 0.
  const estimate = Number(rows[0]?.estimate ?? -1);
  if (estimate >= COUNTED_KEYS_BELOW) return estimate;
  const row = await db
    .selectFrom("idempotency_keys")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Prunes every `intervalMs` until stopped; a failed prune is logged and tried again next time. */
export function startKeyPruner(db: Kysely<ChillybinDatabase>, options: { ttlMs: number; intervalMs: number; logger: Logger }): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = pruneExpiredKeys(db, options.ttlMs).then(
      (n) => n > 0 && options.logger.debug({ deleted: n }, "expired idempotency keys pruned"),
      (error: unknown) => options.logger.warn({ err: error }, "pruning expired idempotency keys failed; trying again later"),
    );
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
