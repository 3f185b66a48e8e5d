// Benchmarks need a chillybin that will not run out of stock: a fresh database
// (a new one on DATABASE_URL's server, or embedded in a temporary directory),
// migrated, with plenty of every ingredient, served by the real service
// (`services/chillybin/main.ts`) in a process of its own.
import { CHILLYBIN_MIGRATIONS } from "../../services/chillybin/database.js";
import { freePort } from "../support/ports.js";
import { runProcess, runTs, type RunningProcess } from "../support/processes.js";
import { createScratchDatabase } from "../support/scratch-database.js";
import { RUN_BUNDLE_ARGS } from "../delivery/services.js";

export const PLENTY = 2_000_000_000;

export interface BenchChillybin {
  url: string;
  process: RunningProcess;
  /** What the database is, for the report. */
  database: string;
  /** The PostgreSQL server's URL of the bench database (undefined when embedded). */
  databaseUrl: string | undefined;
  /** From starting the process to its /health answering 200 (its migrations found already applied). */
  startToReadyMs: number;
  stop(): Promise<void>;
}

/**
 * `bundle`: the folder of chillybin's bundle (npm run build) to run with
 * `node main.mjs`, as the image does; by default the source, through tsx.
 * `beforeStart`: work on the prepared database (its PostgreSQL server's URL)
 * before the service starts, such as measuring the database's own ceilings:
 * left idle that long, a service gives its memory back (memory-at-rest.ts),
 * and the first load after that runs slower for its first seconds.
 */
export async function startBenchChillybin(
  env: Record<string, string> = {},
  bundle?: string,
  beforeStart?: (databaseUrl: string | undefined) => Promise<void>,
): Promise<BenchChillybin> {
  const database = await createScratchDatabase({ onDisk: true, migrations: CHILLYBIN_MIGRATIONS });
  await database.db.updateTable("ingredients").set({ quantity: PLENTY }).execute();
  await database.handOver(); // to the service
  await beforeStart?.(database.env.DATABASE_URL);

  // Logging every request is part of the real cost, but the lines would pile
  // up in this process: the service logs at warn, and is found by its port.
  const port = await freePort();
  const childEnv = { ...database.env, CHILLYBIN_PORT: String(port), VERSION: "bench", LOG_LEVEL: "warn", ...env };
  const started = performance.now();
  const child = bundle ? runProcess(process.execPath, RUN_BUNDLE_ARGS, { cwd: bundle, env: childEnv }) : runTs("services/chillybin/main.ts", childEnv);
  await waitForHealth(`http://127.0.0.1:${port}/health`, child);
  const startToReadyMs = performance.now() - started;
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    database: database.description,
    databaseUrl: database.env.DATABASE_URL,
    startToReadyMs,
    async stop() {
      await child.stop("SIGTERM");
      await database.drop().catch(() => {});
    },
  };
}

/** Polls a service's /health every 10 ms until it answers 200 (30 s at most). */
export async function waitForHealth(url: string, child: RunningProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null) throw new Error(`the service exited:\n${child.lines.join("\n")}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} did not answer 200 within 30 s`);
}
