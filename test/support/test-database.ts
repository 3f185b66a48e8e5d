import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import pg from "pg";
import { openDatabase, type DatabaseLocation } from "../../lib/db/index.js";

/**
 * Where tests keep data: with DATABASE_URL set, a fresh database on that
 * PostgreSQL server (created here, dropped by drop()); otherwise embedded
 * PostgreSQL in memory.
 */
export interface TestDatabase {
  location: DatabaseLocation;
  /** A Kysely instance on it (more can be opened on `location`). */
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
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

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const location: DatabaseLocation = { kind: "embedded" };
    const db = openDatabase(location);
    return { location, db, drop: () => db.destroy() };
  }
  const name = `toasties_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await onServer(adminUrl, `create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const location: DatabaseLocation = { kind: "postgres", url: url.toString() };
  const db = openDatabase(location);
  return {
    location,
    db,
    async drop() {
      await db.destroy();
      await onServer(adminUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}
