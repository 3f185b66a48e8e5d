import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Kysely } from "kysely";
import { FileMigrationProvider, Migrator, type MigrationResultSet } from "kysely/migration";

/**
 * A Kysely migrator over the numbered files in `folder`. On PostgreSQL,
 * Kysely takes an advisory lock around every run, so two instances starting at
 * once migrate one after the other instead of racing.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and whatever) the typed schema is.
export function createMigrator(db: Kysely<any>, folder: string): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: path.resolve(folder) }),
  });
}

/** Throws the migration's own error when a run failed. */
export function assertMigrated({ error, results }: MigrationResultSet): void {
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === "Error")?.migrationName;
  const cause = error instanceof Error ? error.message : String(error);
  throw new Error(`migration ${failed ?? "(setup)"} failed: ${cause}`, { cause: error });
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

/** Brings the schema to the newest migration. */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and whatever) the typed schema is.
export async function migrateToLatest(db: Kysely<any>, folder: string): Promise<void> {
  assertMigrated(await createMigrator(db, folder).migrateToLatest());
}
