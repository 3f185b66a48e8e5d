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

/** How many keys are kept (a count of a table IDEMPOTENCY_KEY_TTL keeps small). */
export async function countKeys(db: Kysely<ChillybinDatabase>): Promise<number> {
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
