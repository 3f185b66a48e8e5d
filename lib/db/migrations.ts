import { promises as fs } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Kysely, sql } from "kysely";
import { FileMigrationProvider, type Migration, type MigrationProvider, Migrator, type MigrationResultSet } from "kysely/migration";

/**
 * MIGRATION_LOCK_TIMEOUT_MS's default: the longest one statement of a
 * migration waits for a lock. While an ALTER TABLE or CREATE INDEX waits for
 * its table, every call that touches the table queues behind it; a second
 * holds them back less than calls' own limit (DATABASE_TIMEOUT_MS, 4 s).
 */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 1000;

/** A migration whose lock waits stop at `ms`: set first in its transaction (the migrator's), so that it lasts for that transaction only. */
function lockWaitsBounded(migration: Migration, ms: number): Migration {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before (and whatever) the typed schema is.
  const bounded = (step: (db: Kysely<any>) => Promise<void>) => async (db: Kysely<any>) => {
    await sql`select set_config('lock_timeout', ${`${Math.ceil(ms)}ms`}, true)`.execute(db);
    await step(db);
  };
  return { up: bounded(migration.up), down: migration.down && bounded(migration.down) };
}

/**
 * A Kysely migrator over the numbered files in `folder`. On PostgreSQL,
 * Kysely takes an advisory lock around every run, so two instances starting at
 * once migrate one after the other instead of racing; each migration waits at
 * most `lockTimeoutMs` for each lock it needs, so that a session holding its
 * table (a long transaction, a pg_dump) fails the run instead of queueing every
 * call behind it.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and whatever) the typed schema is.
export function createMigrator(db: Kysely<any>, folder: string, lockTimeoutMs = DEFAULT_MIGRATION_LOCK_TIMEOUT_MS): Migrator {
  const files = new FileMigrationProvider({ fs, path, migrationFolder: path.resolve(folder) });
  const provider: MigrationProvider = {
    async getMigrations() {
      const migrations = await files.getMigrations();
      return Object.fromEntries(Object.entries(migrations).map(([name, migration]) => [name, lockWaitsBounded(migration, lockTimeoutMs)]));
    },
  };
  return new Migrator({ db, provider });
}

/** What PostgreSQL says when lock_timeout ended a statement's wait (lock_not_available). */
function isLockTimeout(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "55P03";
}

/** The migration a failed run stopped at, if it stopped at one (not before: connecting, or reading what was applied). */
function failedMigration({ results }: MigrationResultSet): string | undefined {
  return results?.find((r) => r.status === "Error")?.migrationName;
}

/** Throws the migration's own error when a run failed. */
export function assertMigrated(result: MigrationResultSet): void {
  const { error } = result;
  if (error === undefined) return;
  const cause = error instanceof Error ? error.message : String(error);
  const failed = failedMigration(result);
  throw new Error(failed ? `migration ${failed} failed: ${cause}` : `migrating failed before any migration ran: ${cause}`, { cause: error });
}

/**
 * Throws, naming them, when migrations in `folder` have not been applied: for
 * a service that must not migrate itself (behind a transaction-pooling
 * PgBouncer, which cannot keep the migrator's session-level advisory lock).
 * Reads the migrator's table only; takes no lock.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and whatever) the typed schema is.
export async function assertNothingToMigrate(db: Kysely<any>, folder: string): Promise<void> {
  const pending = (await createMigrator(db, folder).getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) throw new Error(`migrations not applied yet: ${pending.join(", ")}; run npm run migrate against the database server itself`);
}

export interface MigrateOptions {
  /** The longest one statement of a migration waits for a lock (MIGRATION_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
  /** Runs tried while locks are held: a lock is often held for moments only. */
  attempts?: number;
  /** The pause between two of them. */
  pauseMs?: number;
  /** Told each time a run gave up waiting for a lock and is tried again. */
  onRetry?: (message: string) => void;
}

/**
 * Brings the schema to the newest migration. A run that waited too long for a
 * lock is rolled back whole (Kysely runs it in one transaction) and tried
 * again; past `attempts`, this throws, naming the migration, with nothing changed.
 * Answers what was migrated.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and whatever) the typed schema is.
export async function migrateToLatest(db: Kysely<any>, folder: string, options: MigrateOptions = {}): Promise<MigrationResultSet> {
  const { lockTimeoutMs = DEFAULT_MIGRATION_LOCK_TIMEOUT_MS, attempts = 5, pauseMs = 1000, onRetry } = options;
  const migrator = createMigrator(db, folder, lockTimeoutMs);
  for (let attempt = 1; ; attempt++) {
    const result = await migrator.migrateToLatest();
    if (!isLockTimeout(result.error)) {
      assertMigrated(result);
      return result;
    }
    const waited = `migration ${failedMigration(result)} waited ${lockTimeoutMs} ms (MIGRATION_LOCK_TIMEOUT_MS) for a lock another session holds`;
    if (attempt >= attempts) {
      throw new Error(
        `${waited}, ${attempts} times: nothing was migrated. Find the session in pg_locks and pg_stat_activity, end it (or wait for it), and start again`,
        { cause: result.error },
      );
    }
    onRetry?.(`${waited}; nothing was migrated, trying again in ${pauseMs} ms (${attempt} of ${attempts})`);
    await sleep(pauseMs);
  }
}
