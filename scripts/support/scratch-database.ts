import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { migrateToLatest, openDatabase, type DatabaseLocation } from "../../lib/db/index.js";
import { migratedEmbeddedCopy } from "./migrated-copies.js";

/**
 * Where a test (or benchmark) keeps data: with DATABASE_URL set, a fresh
 * database on that PostgreSQL server, created here and dropped by drop();
 * otherwise embedded PostgreSQL, in memory or (onDisk) in a temporary
 * directory that another process can open.
 */
export interface ScratchDatabase {
  location: DatabaseLocation;
  /** A Kysely instance on it (more can be opened on `location`). */
  // biome-ignore lint/suspicious/noExplicitAny: each test gives it the schema of the service it migrates.
  db: Kysely<any>;
  /** The environment that points a service process at this database. */
  env: Record<string, string>;
  /** What it is, for reports. */
  description: string;
  /**
   * Lets a service process open it: embedded PostgreSQL serves one process,
   * so this one closes its own; a server database needs nothing.
   */
  handOver(): Promise<void>;
  drop(): Promise<void>;
}

export const usingPostgresServer = Boolean(process.env.DATABASE_URL);

async function onServer(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabaseOptions {
  /** Embedded only: keep it in a temporary directory (another process can open it) instead of in memory. */
  onDisk?: boolean;
  /** A migrations folder whose migrations the new database has had. */
  migrations?: string;
}

export async function createScratchDatabase(options: ScratchDatabaseOptions = {}): Promise<ScratchDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = options.onDisk ? mkdtempSync(path.join(tmpdir(), "chillybin-test-")) : undefined;
    const location: DatabaseLocation = { kind: "embedded", dataDir: dir };
    // Only this first opening starts from the copy: PGlite refuses to load one over an existing database.
    const db = openDatabase({ ...location, copyOf: await migratedEmbeddedCopy(options.migrations) });
    // Ready before it is handed out: PGlite starts in the background, and a
    // service's first health check would otherwise wait for that second or so.
    await sql`select 1`.execute(db);
    return {
      location,
      db,
      env: dir ? { CHILLYBIN_DATA_DIR: dir } : {},
      description: "embedded PostgreSQL (PGlite)",
      handOver: () => db.destroy(),
      async drop() {
        await db.destroy().catch(() => {}); // a caller may have closed it already to hand it over
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `toasties_scratch_${process.pid}_${randomBytes(4).toString("hex")}`;
  await onServer(adminUrl, `create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const location: DatabaseLocation = { kind: "postgres", url: url.toString() };
  const db = openDatabase(location);
  const drop = async () => {
    await db.destroy();
    await onServer(adminUrl, `drop database if exists "${name}" with (force)`);
  };
  if (options.migrations)
    await migrateToLatest(db, options.migrations).catch(async (error: unknown) => {
      await drop();
      throw error;
    });
  return {
    location,
    db,
    env: { DATABASE_URL: url.toString() },
    description: "PostgreSQL server (DATABASE_URL)",
    handOver: async () => {},
    drop,
  };
}
