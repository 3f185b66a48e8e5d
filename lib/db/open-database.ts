import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, type PGlite as PGliteAsKyselyUsesIt, PostgresDialect } from "kysely";
import pg from "pg";
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

/**
 * PostgreSQL's buffer pool for the embedded database. PostgreSQL's default
 * (the 128 MB initdb writes into postgresql.conf) is sized for a server; in
 * PGlite that pool lives in the process's WebAssembly memory and is zeroed at
 * every open: 16 MB opens a data folder in about half the time (0.55 s rather
 * than 1.0–1.2 s on a 2-core machine) and leaves the service some 100 MB
 * smaller, while still holding many times the few pages these services touch.
 * Given as a start parameter, so it holds for data folders made before too.
 */
export const EMBEDDED_SHARED_BUFFERS = "16MB";

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
  if (location.dataDir) mkdirSync(location.dataDir, { recursive: true });
  const pglite = new PGlite({
    dataDir: location.dataDir,
    loadDataDir: location.copyOf,
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
  });
  return new EmbeddedKysely<DB>(new ReleasedOnClose(pglite));
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
  #pglite: PGlite | undefined;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  #open(): PGlite {
    if (!this.#pglite) throw new Error("the embedded database is closed");
    return this.#pglite;
  }

  get closed(): boolean {
    return this.#pglite?.closed ?? true;
  }

  get ready(): boolean {
    return this.#pglite?.ready ?? false;
  }

  get waitReady(): Promise<void> {
    return this.#open().waitReady;
  }

  query: PGlite["query"] = (query, params, options) => this.#open().query(query, params, options);

  transaction: PGlite["transaction"] = (callback) => this.#open().transaction(callback);

  /** The data directory as a tarball, which `copyOf` starts another embedded database from. */
  dump(): Promise<Blob> {
    return this.#open().dumpDataDir("none");
  }

  async close(): Promise<void> {
    const pglite = this.#pglite;
    this.#pglite = undefined;
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
