// Benchmarks need a chillybin that will not run out of stock: a fresh database
// (a new one on DATABASE_URL's server, or embedded in a temporary directory),
// migrated, with plenty of every ingredient, served by the real service
// (`services/chillybin/main.ts`) in a process of its own.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pg from "pg";
import { migrateToLatest, openDatabase, type DatabaseLocation } from "../../lib/db/index.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../services/chillybin/database.js";
import { freePort } from "../../test/support/ports.js";
import { runTs, type RunningProcess } from "../../test/support/processes.js";

export const PLENTY = 2_000_000_000;

export interface BenchChillybin {
  url: string;
  process: RunningProcess;
  /** What the database is, for the report. */
  database: string;
  stop(): Promise<void>;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function startBenchChillybin(env: Record<string, string> = {}): Promise<BenchChillybin> {
  const serverUrl = process.env.DATABASE_URL;
  let location: DatabaseLocation;
  let cleanup: () => Promise<void>;
  let childEnv: Record<string, string>;
  if (serverUrl) {
    const name = `toasties_bench_${randomBytes(4).toString("hex")}`;
    await adminQuery(serverUrl, `create database "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    location = { kind: "postgres", url: url.toString() };
    childEnv = { DATABASE_URL: url.toString() };
    cleanup = () => adminQuery(serverUrl, `drop database if exists "${name}" with (force)`);
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), "chillybin-bench-"));
    location = { kind: "embedded", dataDir: dir };
    childEnv = { CHILLYBIN_DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const db = openDatabase<ChillybinDatabase>(location);
  await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
  await db.updateTable("ingredients").set({ quantity: PLENTY }).execute();
  await db.destroy();

  // Logging every request is part of the real cost, but the lines would pile
  // up in this process: the service logs at warn, and is found by its port.
  const port = await freePort();
  const child = runTs("services/chillybin/main.ts", { ...childEnv, CHILLYBIN_PORT: String(port), VERSION: "bench", LOG_LEVEL: "warn", ...env });
  await waitForHealth(`http://127.0.0.1:${port}/health`, child);
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    database: serverUrl ? "PostgreSQL server (DATABASE_URL)" : "embedded PostgreSQL (PGlite)",
    async stop() {
      await child.stop("SIGTERM");
      await cleanup();
    },
  };
}

async function waitForHealth(url: string, child: RunningProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.child.exitCode !== null) throw new Error(`chillybin exited:\n${child.lines.join("\n")}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("chillybin did not become healthy within 30 s");
}
