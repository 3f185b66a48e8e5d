// Past one database's connection limit: several chillybin processes through
// one PgBouncer in transaction pooling mode (Debian's pgbouncer, as .ci/run
// installs it). Each transaction may get any server connection, so nothing
// chillybin relies on may outlive a transaction: they never oversell, an
// Idempotency-Key holds across them, and a deadline still bounds a call's wait
// for a locked row without leaking its lock_timeout to the next transaction.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { freePort } from "../../../scripts/support/ports.js";
import { commandRuns, listeningPort, runTs, type RunningProcess } from "../../../scripts/support/processes.js";
import { createScratchDatabase, type ScratchDatabase, usingPostgresServer } from "../../../scripts/support/scratch-database.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { TRANSPORTS } from "../../support/transports.js";

const PROCESSES = 3;

/** PgBouncer on `port`, in transaction pooling mode, in front of the server of `serverUrl`: stopped with kill. */
function startPgBouncer(dir: string, port: number, serverUrl: URL): ChildProcess {
  const ini = path.join(dir, "pgbouncer.ini");
  writeFileSync(path.join(dir, "users.txt"), `"${serverUrl.username || "postgres"}" ""\n`);
  writeFileSync(
    ini,
    [
      "[databases]",
      `* = host=${serverUrl.hostname} port=${serverUrl.port || 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "users.txt")}`,
      "pool_mode = transaction",
      "default_pool_size = 4",
      "max_client_conn = 500",
      "ignore_startup_parameters = extra_float_digits",
    ].join("\n"),
  );
  chmodSync(dir, 0o755);
  // PgBouncer will not run as root: started by root (CI), it runs as postgres.
  const asUser = process.getuid?.() === 0 ? ["-u", "postgres"] : [];
  return spawn("pgbouncer", [...asUser, ini], { stdio: "ignore" });
}

async function waitForPort(url: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    const client = new pg.Client({ connectionString: url });
    const up = await client.connect().then(
      () => true,
      () => false,
    );
    await client.end().catch(() => {});
    if (up) return;
  }
  throw new Error(`PgBouncer did not accept connections at ${url} within 10 s`);
}

// A PgBouncer needs a PostgreSQL server behind it: the DATABASE_URL pass (CI runs both).
if (usingPostgresServer)
  describe("several chillybins through one PgBouncer (transaction pooling)", function () {
    this.timeout(90_000);
    let dir: string;
    let database: ScratchDatabase;
    let db: Kysely<ChillybinDatabase>;
    let bouncer: ChildProcess | undefined;
    let bouncerUrl: string;
    const chillybins: RunningProcess[] = [];
    const urls: string[] = [];

    before(async () => {
      if (!commandRuns("pgbouncer", ["--version"])) throw new Error("pgbouncer is not installed: apt-get install pgbouncer (as .ci/run does)");
      dir = mkdtempSync(path.join(tmpdir(), "pgbouncer-"));
      database = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
      db = database.db as Kysely<ChillybinDatabase>;
      const serverUrl = new URL(database.env.DATABASE_URL!);
      const port = await freePort();
      bouncer = startPgBouncer(dir, port, serverUrl);
      const url = new URL(serverUrl);
      url.host = `127.0.0.1:${port}`;
      bouncerUrl = url.toString();
      await waitForPort(bouncerUrl);
      for (let i = 0; i < PROCESSES; i++) {
        // Migrated above, on the server itself: the migrator's session-level advisory lock cannot go through transaction pooling.
        const chillybin = runTs("services/chillybin/main.ts", {
          DATABASE_URL: bouncerUrl,
          CHILLYBIN_PORT: "0",
          DATABASE_POOL_SIZE: "5",
          MIGRATE_ON_START: "false",
        });
        chillybins.push(chillybin);
      }
      for (const chillybin of chillybins) urls.push(`http://127.0.0.1:${listeningPort(await chillybin.waitForLine(/"msg":"listening"/))}`);
    });
    after(async () => {
      await Promise.all(chillybins.map((c) => c.stop("SIGTERM")));
      bouncer?.kill("SIGKILL");
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await db.updateTable("ingredients").set({ quantity: 50 }).where("name", "=", "cheese").execute();
      await db.deleteFrom("orders").execute();
    });

    const clients = () => urls.map((url) => createClient(v2.ChillybinService, TRANSPORTS[2]!.make(url)));
    const codeOf = (call: Promise<unknown>) =>
      call.then(
        () => "ok",
        (e: unknown) => Code[ConnectError.from(e).code],
      );

    it("MIGRATE_ON_START=false: a chillybin on a database with migrations left refuses to start, naming them", async () => {
      const fresh = await createScratchDatabase();
      try {
        const url = new URL(fresh.env.DATABASE_URL!);
        url.host = new URL(bouncerUrl).host;
        const refused = runTs("services/chillybin/main.ts", { DATABASE_URL: url.toString(), CHILLYBIN_PORT: "0", MIGRATE_ON_START: "false" });
        await refused.waitForLine(/migrations not applied yet: 0001_create_ingredients, .*run npm run migrate against the database server itself/);
        assert.equal(await refused.exited, 1);
      } finally {
        await fresh.drop();
      }
    });

    it("never oversell: 120 picks of 50 cheese across the processes take exactly 50, with 50 order rows", async () => {
      const all = clients();
      const codes = await Promise.all(
        Array.from({ length: 120 }, (_, i) => codeOf(all[i % PROCESSES]!.pick({ customer: `c${i}`, ingredient: "cheese", quantity: 1 }))),
      );
      assert.equal(codes.filter((c) => c === "ok").length, 50);
      assert.equal(codes.filter((c) => c === "FailedPrecondition").length, 70);
      const cheese = await db.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").executeTakeFirstOrThrow();
      assert.equal(cheese.quantity, 0);
      assert.equal((await db.selectFrom("orders").select("id").execute()).length, 50);
    });

    it("an Idempotency-Key holds across processes: a retry on another one gets the first answer and takes nothing", async () => {
      const [first, second] = clients();
      const headers = { "idempotency-key": `across-${Date.now()}` };
      const a = await first!.pick({ customer: "gita", ingredient: "cheese", quantity: 2 }, { headers });
      const b = await second!.pick({ customer: "gita", ingredient: "cheese", quantity: 2 }, { headers });
      assert.deepEqual([b.id, b.remaining], [a.id, a.remaining]);
      assert.equal(a.remaining, 48);
    });

    it("a deadline bounds the wait for a locked row, and its lock_timeout ends with its transaction", async () => {
      const holder = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await holder.connect();
      try {
        await holder.query("begin");
        await holder.query("select * from ingredients where name = 'cheese' for update");
        const started = performance.now();
        const codes = await Promise.all(clients().map((c) => codeOf(c.pick({ customer: "late", ingredient: "cheese", quantity: 1 }, { timeoutMs: 1_000 }))));
        assert.deepEqual(codes, Array(PROCESSES).fill("DeadlineExceeded"));
        assert.ok(performance.now() - started < 2_500, "answered near the deadline, not when the lock frees");
        // Each caller's own timer fires first; a server's deadline runs from when the call reached it,
        // a little later. Freed in between, the lock would let a server finish inside its deadline (an
        // outcome the caller cannot know: what idempotency keys are for). Hold it past theirs too.
        await sleep(500);
        await holder.query("rollback");
        await sleep(300);
        const cheese = await db.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").executeTakeFirstOrThrow();
        assert.equal(cheese.quantity, 50, "nothing taken for callers told deadline_exceeded");
      } finally {
        await holder.end();
      }
      // Every server connection PgBouncer hands out has no lock_timeout left over from those transactions.
      const through = new pg.Pool({ connectionString: bouncerUrl, max: 8 });
      try {
        const settings = await Promise.all(
          Array.from({ length: 8 }, () => sql<{ l: string }>`select current_setting('lock_timeout') as l`.compile(db)).map((q) => through.query(q.sql)),
        );
        assert.deepEqual(new Set(settings.map((r) => (r.rows[0] as { l: string }).l)), new Set(["0"]));
      } finally {
        await through.end();
      }
    });
  });
