import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { sql } from "kysely";
import { copyOfEmbedded, EMBEDDED_SHARED_BUFFERS, openDatabase } from "../../../lib/db/index.js";
import { runProcess } from "../../../scripts/support/processes.js";

describe("openDatabase (embedded)", function () {
  this.timeout(60_000);

  it("destroy() closes a database that was never queried, leaving its directory whole for the next process", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "open-database-"));
    try {
      await openDatabase({ kind: "embedded", dataDir: dir }).destroy();
      // Closed means initdb finished and nothing writes the directory any more.
      assert.ok(existsSync(path.join(dir, "PG_VERSION")), "the cluster is complete once destroy() resolves");
      const again = openDatabase({ kind: "embedded", dataDir: dir });
      try {
        assert.deepEqual((await sql<{ one: number }>`select 1 as one`.execute(again)).rows, [{ one: 1 }]);
        // The folder's postgresql.conf says initdb's 128MB; the start parameter wins, on every open.
        assert.equal((await sql<{ shared_buffers: string }>`show shared_buffers`.execute(again)).rows[0]?.shared_buffers, EMBEDDED_SHARED_BUFFERS);
      } finally {
        await again.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("makes a new data folder in a process of its own: the process that opens it never holds initdb's peak", async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "open-database-")), "data");
    // A process that only opens a new folder and queries it, reporting the most memory it ever held (VmHWM).
    const script = `
      import { sql } from "kysely";
      import { readFileSync } from "node:fs";
      import { openDatabase } from "./lib/db/index.ts";
      const db = openDatabase({ kind: "embedded", dataDir: ${JSON.stringify(dir)} });
      console.log("answered " + (await sql\`select 1 as one\`.execute(db)).rows[0].one);
      await db.destroy();
      console.log("peak " + /VmHWM:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]);
    `;
    const child = runProcess(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env: {} });
    try {
      await child.waitForLine(/^answered 1$/, 60_000);
      const peakMb = Number((await child.waitForLine(/^peak \d+$/)).split(" ")[1]) / 1024;
      // initdb in the same process took it past 450 MB (PGlite builds the cluster in memory, then copies it out).
      assert.ok(peakMb < 300, `the opening process peaked at ${peakMb.toFixed(0)} MB`);
      assert.equal(await child.exited, 0);
      assert.ok(existsSync(path.join(dir, "PG_VERSION")));
      assert.deepEqual(readdirSync(path.dirname(dir)), ["data"], "no staging folder left beside it");
    } finally {
      await child.stop("SIGKILL");
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it("refuses a folder that holds other files, naming it, and leaves them as they were", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "open-database-"));
    try {
      writeFileSync(path.join(dir, "notes.txt"), "not a database");
      const db = openDatabase({ kind: "embedded", dataDir: dir });
      await assert.rejects(sql`select 1`.execute(db), (error: Error) => error.message.includes(`${dir} holds files but no PostgreSQL data folder`));
      await db.destroy();
      assert.deepEqual(readdirSync(dir), ["notes.txt"]);
      assert.deepEqual(
        readdirSync(path.dirname(dir)).filter((name) => name.startsWith(`.${path.basename(dir)}.initdb-`)),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("copyOfEmbedded and copyOf", function () {
  this.timeout(60_000);
  /** A copy of a database with one table, taken before a second row went in. */
  let copy: Blob;

  before(async () => {
    const original = openDatabase({ kind: "embedded" });
    try {
      await sql`create table things (name text primary key)`.execute(original);
      await sql`insert into things values ('kept')`.execute(original);
      copy = await copyOfEmbedded(original);
      await sql`insert into things values ('after the copy')`.execute(original);
    } finally {
      await original.destroy();
    }
  });

  it("a database started from a copy has the original's rows as they were when copied, and goes its own way after", async () => {
    const started = openDatabase({ kind: "embedded", copyOf: copy });
    try {
      await sql`insert into things values ('only in this one')`.execute(started);
      assert.deepEqual((await sql<{ name: string }>`select name from things order by name`.execute(started)).rows, [
        { name: "kept" },
        { name: "only in this one" },
      ]);
    } finally {
      await started.destroy();
    }
    const again = openDatabase({ kind: "embedded", copyOf: copy });
    try {
      assert.deepEqual((await sql<{ name: string }>`select name from things order by name`.execute(again)).rows, [{ name: "kept" }]);
    } finally {
      await again.destroy();
    }
  });

  it("refuses to copy a database on a server", async () => {
    const db = openDatabase({ kind: "postgres", url: "postgres://postgres@127.0.0.1:1/none" });
    try {
      assert.throws(() => copyOfEmbedded(db), /only an embedded database/);
    } finally {
      await db.destroy();
    }
  });

  describe("destroy()", () => {
    /** The process's memory outside V8's heap (where WebAssembly memory is), after full collections. */
    async function externalAfterCollecting(): Promise<number> {
      const collect = runInNewContext("gc") as () => void;
      for (let i = 0; i < 3; i++) {
        collect();
        await new Promise((resolve) => setImmediate(resolve));
      }
      return process.memoryUsage().external;
    }

    before(() => setFlagsFromString("--expose-gc"));

    it("lets go of the database's memory even while the Kysely instance is still referenced (as a test suite's variable is)", async () => {
      const kept: unknown[] = [];
      const before = await externalAfterCollecting();
      for (let i = 0; i < 3; i++) {
        const db = openDatabase({ kind: "embedded", copyOf: copy });
        await sql`select 1`.execute(db);
        await db.destroy();
        kept.push(db);
      }
      // Each PGlite holds some 240 MB of WebAssembly memory while referenced: three kept would be over 700 MB.
      // Memory let go is freed by a later collection, not always the first (a loaded machine, Node 22):
      // collect again for up to 3 s before deciding.
      let grown = (await externalAfterCollecting()) - before;
      for (let tries = 0; grown >= 200e6 && tries < 30; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        grown = (await externalAfterCollecting()) - before;
      }
      assert.ok(grown < 200e6, `external memory grew by ${Math.round(grown / 1e6)} MB with ${kept.length} destroyed databases referenced`);
    });
  });
});
