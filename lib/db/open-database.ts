import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, type PGlite as PGliteAsKyselyUsesIt, PostgresDialect } from "kysely";
import pg from "pg";
import { nodeOptionsForAChild } from "../node-options.js";
import { embeddedStartParams } from "./embedded-postgres.js";
import { traceStatement } from "./trace-statements.js";

export type DatabaseLocation =
  /**
   * A PostgreSQL server, through pg's connection pool of `poolSize`
   * connections (10 by default); a statement waits for one no longer than
   * `acquireTimeoutMs` (pg's connectionTimeoutMillis), then fails.
   */
  | { kind: "postgres"; url: string; poolSize?: number; acquireTimeoutMs?: number }
  /**
   * Embedded PostgreSQL (PGlite) kept in a directory, or in memory when
   * dataDir is undefined; started from `copyOf` (another's data directory, as
   * PGlite's dumpDataDir() gives it) when the directory is new.
   */
  | { kind: "embedded"; dataDir?: string; copyOf?: Blob };

/**
 * Where a service keeps its data: the server at `url` when one is given,
 * otherwise embedded PostgreSQL in `dataDir`, so that running a service needs
 * no database server.
 */
export function databaseLocation(url: string | undefined, dataDir: string, pool: { size?: number; acquireTimeoutMs?: number } = {}): DatabaseLocation {
  return url ? { kind: "postgres", url, poolSize: pool.size, acquireTimeoutMs: pool.acquireTimeoutMs } : { kind: "embedded", dataDir };
}

const pools = new WeakMap<Kysely<never>, { pool: pg.Pool; acquireTimeouts: number }>();

/** Connections of a database's pool, and the waits for one that timed out, for metrics (undefined for the embedded database). */
export function poolUsage<DB>(db: Kysely<DB>): { total: number; idle: number; waiting: number; max: number; acquireTimeouts: number } | undefined {
  const entry = pools.get(db as unknown as Kysely<never>);
  if (!entry) return undefined;
  const { pool } = entry;
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10, acquireTimeouts: entry.acquireTimeouts };
}

/** pg's words when a wait for a pool connection passed connectionTimeoutMillis. */
const ACQUIRE_TIMEOUT = /timeout exceeded when trying to connect/;

/** A Kysely instance for the location; `destroy()` closes the pool or the embedded database. */
export function openDatabase<DB>(location: DatabaseLocation): Kysely<DB> {
  if (location.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: location.url, max: location.poolSize ?? 10, connectionTimeoutMillis: location.acquireTimeoutMs });
    // A connection losing its server (a restart, a network cut) must not
    // crash the process: idle ones are dropped by the pool, and a query on a
    // checked-out one fails with the error. Without these listeners pg emits
    // 'error' with nobody listening, which Node turns into an uncaught exception.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    const entry = { pool, acquireTimeouts: 0 };
    // Kysely takes a connection with pool.connect(); a wait that timed out is counted on its way back.
    const acquire = () =>
      pool.connect().catch((error: unknown) => {
        if (error instanceof Error && ACQUIRE_TIMEOUT.test(error.message)) entry.acquireTimeouts++;
        throw error;
      });
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: { connect: acquire, end: () => pool.end(), options: pool.options, Client: pg.Client } }),
      log: traceStatement,
    });
    pools.set(db as unknown as Kysely<never>, entry);
    return db;
  }
  return new EmbeddedKysely<DB>(new ReleasedOnClose(openEmbedded(location)));
}

/** Opens an embedded database, making its data folder first (in a process of its own) if it is new. */
async function openEmbedded({ dataDir, copyOf }: { dataDir?: string; copyOf?: Blob }): Promise<PGlite> {
  // From a copy PGlite unpacks the copy's folder, with no initdb to keep away from this process.
  if (dataDir && !copyOf && !existsSync(path.join(dataDir, "PG_VERSION"))) await initialiseDataFolder(dataDir);
  else if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite({ dataDir, loadDataDir: copyOf, startParams: embeddedStartParams() });
  await pglite.waitReady;
  return pglite;
}

/**
 * The program that makes a data folder (initialise-data-folder.ts), beside
 * this module: the TypeScript in the repository, the .mjs that bundle.ts
 * builds beside main.mjs in a bundle.
 */
const INITIALISER = fileURLToPath(new URL(`./initialise-data-folder.${import.meta.url.endsWith(".ts") ? "ts" : "mjs"}`, import.meta.url));

/**
 * Makes `folder` a new data folder, all or nothing: initdb runs in a process
 * of its own (with this one's V8 settings and loaders) into a
 * staging folder beside it, which then takes the folder's place (rename(2)
 * replaces an empty folder in one step). A start stopped halfway leaves the
 * folder as it was, never half made.
 */
async function initialiseDataFolder(folder: string): Promise<void> {
  if (existsSync(folder) && readdirSync(folder).length > 0)
    throw new Error(`${folder} holds files but no PostgreSQL data folder (no PG_VERSION): move them away or choose another folder`);
  mkdirSync(path.dirname(folder), { recursive: true });
  const staging = mkdtempSync(path.join(path.dirname(folder), `.${path.basename(folder)}.initdb-`));
  try {
    await promisify(execFile)(process.execPath, [...nodeOptionsForAChild(process.execArgv), INITIALISER, staging]).catch(
      (error: { stderr?: string; message: string }) => {
        throw new Error(`initdb for the embedded database in ${folder} failed: ${error.stderr?.trim() || error.message}`);
      },
    );
    renameSync(staging, folder);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Kysely on PGlite, whose destroy() always closes the database. Kysely only
 * closes a driver it has used: a PGlite opened and never queried would keep
 * running (initdb, writing its directory) after destroy(), while another
 * process opens the same directory.
 */
class EmbeddedKysely<DB> extends Kysely<DB> {
  constructor(private readonly pglite: ReleasedOnClose) {
    super({ dialect: new PGliteDialect({ pglite }), log: traceStatement });
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    await this.pglite.close();
  }

  copy(): Promise<Blob> {
    return this.pglite.dump();
  }
}

/**
 * The PGlite Kysely is given, which lets go of the database once it is closed.
 * A PGlite holds its WebAssembly memory (some 240 MB) for as long as anything
 * references it, closed or not, and Kysely's driver keeps its PGlite after
 * destroy(): a Kysely instance kept after destroy() (a variable of a test
 * suite, a closure) would keep that memory for the life of the process.
 */
class ReleasedOnClose implements PGliteAsKyselyUsesIt {
  #opening: Promise<PGlite> | undefined;
  /** The database once open: Kysely queries only after waitReady. */
  #pglite: PGlite | undefined;

  constructor(opening: Promise<PGlite>) {
    this.#opening = opening.then((pglite) => {
      if (this.#opening) this.#pglite = pglite;
      return pglite;
    });
    // A failure to open reaches whoever waits for it (Kysely's first query, close()), and is never unhandled.
    this.#opening.catch(() => {});
  }

  #open(): Promise<PGlite> {
    return this.#opening ?? Promise.reject(new Error("the embedded database is closed"));
  }

  #ready(): PGlite {
    if (!this.#pglite) throw new Error(this.#opening ? "the embedded database is not open yet" : "the embedded database is closed");
    return this.#pglite;
  }

  get closed(): boolean {
    return !this.#opening || (this.#pglite?.closed ?? false);
  }

  get ready(): boolean {
    return this.#pglite?.ready ?? false;
  }

  get waitReady(): Promise<void> {
    return this.#open().then(() => {});
  }

  query: PGlite["query"] = (query, params, options) => this.#ready().query(query, params, options);

  transaction: PGlite["transaction"] = (callback) => this.#ready().transaction(callback);

  /** The data directory as a tarball, which `copyOf` starts another embedded database from. */
  async dump(): Promise<Blob> {
    return (await this.#open()).dumpDataDir("none");
  }

  /** Closes the database, once it has opened (a folder being made is finished first, so nothing writes it after). */
  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    this.#pglite = undefined;
    const pglite = await opening?.catch(() => undefined);
    if (pglite && !pglite.closed) await pglite.close();
  }
}

/**
 * A copy of an embedded database's data directory, to start others from
 * (`copyOf`): starting from a copy skips initdb and migrations, the second or
 * so that opening a new embedded database otherwise takes.
 */
export function copyOfEmbedded<DB>(db: Kysely<DB>): Promise<Blob> {
  if (!(db instanceof EmbeddedKysely)) throw new Error("only an embedded database can be copied this way");
  return db.copy();
}

/** Describes a location for logs without leaking a password. */
export function describeLocation(location: DatabaseLocation): string {
  if (location.kind === "embedded") return `embedded PostgreSQL in ${location.dataDir ?? "memory"}`;
  const url = new URL(location.url);
  if (url.password) url.password = "***";
  return `PostgreSQL at ${url.toString()}`;
}
