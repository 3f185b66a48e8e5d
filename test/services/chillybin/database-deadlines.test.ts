// A call's deadline reaches the database: a caller who stops waiting (its
// deadline passed, or it cancelled) is answered then, not when the database is
// done, and nothing is taken for it, no order written. Seen the way the issue
// found it: short deadlines through jafflr (both databases), and a row locked
// by another connection for longer than the deadline (the PostgreSQL server).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import pg from "pg";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { poolUsage } from "../../../lib/db/index.js";
import { usingPostgresServer } from "../../../scripts/support/scratch-database.js";
import { Kitchen } from "../../../services/jafflr/kitchen.js";
import { request } from "../../support/http.js";
import { connectJsonCall } from "../../support/raw-calls.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

const MAKE_TOASTIE = "/jafflr.v1.JafflrService/MakeToastie";
/** What a deadline may be overrun by on a loaded machine: the answer must come near the deadline, not when the lock frees. */
const MARGIN_MS = 1_500;

/** A call's outcome: its code name ("ok") and how long it took. */
async function timed(call: () => Promise<unknown>): Promise<{ code: string; ms: number }> {
  const started = performance.now();
  const code = await call().then(
    () => "ok",
    (e: unknown) => Code[ConnectError.from(e).code],
  );
  return { code, ms: performance.now() - started };
}

/**
 * Another connection's open transaction, which takes a lock with `statement`
 * before each test and rolls back after it (unless the test did): `query` runs
 * on it. `databaseUrl` is read when each test starts.
 */
function holdLockInEachTest(databaseUrl: () => string, statement: string): { query(text: string): Promise<unknown> } {
  let client: pg.Client | undefined;
  beforeEach(async () => {
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    await client.query("begin");
    await client.query(statement);
  });
  afterEach(async () => {
    await client?.query("rollback").catch(() => {});
    await client?.end();
  });
  return { query: (text) => client!.query(text) };
}

describe("a deadline reaches the database", function () {
  this.timeout(60_000);
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  before(async () => {
    chillybin = await startChillybin({ databaseTimeoutMs: 1_500 });
    // Cooking scaled to 0.01: a light toastie cooks in 10 ms.
    jafflr = await startJafflr({ chillybinUrl: chillybin.server.url, kitchen: new Kitchen(0.01) });
  });
  after(async () => {
    await jafflr?.stop();
    await chillybin?.stop();
  });
  beforeEach(async () => {
    await chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
    await chillybin.db.deleteFrom("orders").execute();
  });

  const untouched = async () => {
    await sleep(300); // anything still running for a caller that left would have taken by now
    assert.deepEqual(await chillybin.stock(), { bread: 10, cheese: 10, vegemite: 10 }, "nothing taken");
    assert.deepEqual(await chillybin.orders(), [], "no order written");
  };

  for (const deadlineMs of [1, 5]) {
    it(`ten toasties through jafflr with a ${deadlineMs} ms deadline: all deadline_exceeded, nothing taken`, async () => {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          connectJsonCall(jafflr.server.url, MAKE_TOASTIE, { ingredients: ["cheese"] }, { "connect-timeout-ms": String(deadlineMs) }),
        ),
      );
      for (const res of answers) assert.deepEqual([res.status, (res.json as { code?: string }).code], [504, "deadline_exceeded"], res.text);
      await untouched();
    });
  }

  // Embedded PostgreSQL has one connection, so nothing else can hold a lock: the DATABASE_URL pass (CI runs both).
  if (usingPostgresServer)
    describe("the tables locked by another connection (a migration's ALTER TABLE) for longer than the deadline", () => {
      const holder = holdLockInEachTest(() => chillybin.database.env.DATABASE_URL!, "lock table ingredients, idempotency_keys in access exclusive mode");

      // Reads wait for such a lock too. Called without a client library's own timer: the answer is the server's.
      const reads: Array<{ rpc: string; headers: Record<string, string>; answer: [number, string]; within: number }> = [
        { rpc: "GetStock", headers: { "connect-timeout-ms": "1000" }, answer: [504, "deadline_exceeded"], within: 1_000 },
        { rpc: "GetStock", headers: {}, answer: [503, "unavailable"], within: 1_500 },
        { rpc: "Restock", headers: { "connect-timeout-ms": "1000" }, answer: [504, "deadline_exceeded"], within: 1_000 },
      ];
      for (const { rpc, headers, answer, within } of reads)
        it(`${rpc} ${headers["connect-timeout-ms"] ? "with a 1 s deadline" : "without a deadline (DATABASE_TIMEOUT_MS 1.5 s)"}: ${answer[1]} by then, and the pool is whole after`, async () => {
          const started = performance.now();
          const res = await connectJsonCall(chillybin.server.url, `/chillybin.v1.ChillybinService/${rpc}`, {}, headers);
          const ms = performance.now() - started;
          assert.deepEqual([res.status, (res.json as { code?: string }).code], answer, res.text);
          assert.ok(ms < within + MARGIN_MS, `answered after ${ms.toFixed(0)} ms`);
          await holder.query("rollback");
          assert.deepEqual(await chillybin.stock(), { bread: 10, cheese: 10, vegemite: 10 });
          assert.equal(poolUsage(chillybin.db)?.waiting, 0);
        });

      it("a Prometheus scrape answers by DATABASE_TIMEOUT_MS, without the stock, and the keys kept as not known (NaN)", async () => {
        const started = performance.now();
        const res = await request(chillybin.server.url, "GET", "/metrics");
        const ms = performance.now() - started;
        assert.equal(res.status, 200);
        assert.ok(ms < 1_500 + MARGIN_MS, `answered after ${ms.toFixed(0)} ms`);
        assert.match(res.text, /^rpc_requests_in_flight /m, "the rest of the scrape is there");
        assert.doesNotMatch(res.text, /^chillybin_stock\{/m);
        assert.match(res.text, /^chillybin_idempotency_keys Nan$/m);
        await holder.query("rollback");
        const after = (await request(chillybin.server.url, "GET", "/metrics")).text;
        assert.match(after, /^chillybin_stock\{ingredient="cheese"\} 10$/m);
        assert.match(after, /^chillybin_idempotency_keys \d+$/m);
      });
    });

  // Embedded PostgreSQL has one connection, so nothing else can hold a row lock: the DATABASE_URL pass (CI runs both).
  if (usingPostgresServer)
    describe("a row locked by another connection for longer than the deadline", () => {
      const holder = holdLockInEachTest(() => chillybin.database.env.DATABASE_URL!, "select * from ingredients where name = 'cheese' for update");

      const cheeseCalls: Array<{ name: string; call: (t: Transport, options: { timeoutMs?: number; signal?: AbortSignal }) => Promise<unknown> }> = [
        { name: "v1 Pick", call: (t, o) => createClient(v1.ChillybinService, t).pick({ name: "cheese", quantity: 1 }, o) },
        { name: "v2 Pick", call: (t, o) => createClient(v2.ChillybinService, t).pick({ customer: "gita", ingredient: "cheese", quantity: 1 }, o) },
        {
          name: "v2 PickOrder",
          call: (t, o) => createClient(v2.ChillybinService, t).pickOrder({ customer: "gita", items: [{ ingredient: "cheese", quantity: 1 }] }, o),
        },
        {
          name: "v1 Pick with an Idempotency-Key",
          call: (t, o) =>
            createClient(v1.ChillybinService, t).pick({ name: "cheese", quantity: 1 }, { ...o, headers: { "idempotency-key": `k-${Math.random()}` } }),
        },
      ];
      for (const transport of TRANSPORTS) {
        it(`${transport.name}: 1 s deadlines are answered deadline_exceeded at 1 s, take nothing; vegemite meanwhile is served`, async () => {
          const client = transport.make(chillybin.server.url);
          const calls = cheeseCalls.map((c) => timed(() => c.call(client, { timeoutMs: 1_000 })));
          const toastie = timed(() =>
            createClient(JafflrService, transport.make(jafflr.server.url)).makeToastie({ ingredients: ["cheese"] }, { timeoutMs: 1_000 }),
          );
          // Another row is not held up by the lock.
          const vegemite = await timed(() => createClient(v1.ChillybinService, client).pick({ name: "vegemite", quantity: 1 }, { timeoutMs: 1_000 }));
          assert.equal(vegemite.code, "ok");
          const outcomes = await Promise.all([...calls, toastie]);
          for (const [i, outcome] of outcomes.entries()) {
            const name = cheeseCalls[i]?.name ?? "toastie through jafflr";
            assert.equal(outcome.code, "DeadlineExceeded", name);
            assert.ok(outcome.ms < 1_000 + MARGIN_MS, `${name} answered after ${outcome.ms.toFixed(0)} ms`);
          }
          // The callers' timers fire first; the server's deadline runs from when each call reached it, a
          // little later (pgbouncer.test.ts lost a pick to that gap under load). Past both, the lock frees:
          // what was left waiting must not take now.
          await sleep(300);
          await holder.query("rollback");
          await sleep(300);
          assert.deepEqual(await chillybin.stock(), { bread: 10, cheese: 10, vegemite: 9 }, "only the vegemite pick took");
          assert.deepEqual(
            (await chillybin.orders()).map((o) => o.ingredient),
            [],
            "no order written for callers told deadline_exceeded",
          );
          // The next calls succeed, and the pool is whole.
          assert.equal((await timed(() => cheeseCalls[2]!.call(client, { timeoutMs: 2_000 }))).code, "ok");
          const pool = poolUsage(chillybin.db);
          assert.equal(pool?.waiting, 0);
        });
      }

      it("a caller who cancels while the row is locked is answered canceled at once, and nothing is taken for it when the lock frees", async () => {
        const client = TRANSPORTS[2]!.make(chillybin.server.url);
        const controller = new AbortController();
        const calls = cheeseCalls.map((c) => timed(() => c.call(client, { signal: controller.signal })));
        await sleep(300);
        controller.abort();
        for (const outcome of await Promise.all(calls)) assert.deepEqual([outcome.code, outcome.ms < 300 + MARGIN_MS], ["Canceled", true]);
        await holder.query("rollback");
        await sleep(300);
        assert.deepEqual(await chillybin.stock(), { bread: 10, cheese: 10, vegemite: 10 });
        assert.deepEqual(await chillybin.orders(), []);
      });

      it("without a deadline of the caller's, DATABASE_TIMEOUT_MS (1.5 s here) bounds the wait: unavailable, nothing taken", async () => {
        const client = TRANSPORTS[2]!.make(chillybin.server.url);
        const outcomes = await Promise.all(cheeseCalls.map((c) => timed(() => c.call(client, {}))));
        for (const [i, outcome] of outcomes.entries()) {
          assert.equal(outcome.code, "Unavailable", cheeseCalls[i]!.name);
          assert.ok(outcome.ms < 1_500 + MARGIN_MS, `${cheeseCalls[i]!.name} answered after ${outcome.ms.toFixed(0)} ms`);
        }
        await holder.query("rollback");
        await sleep(300);
        assert.deepEqual(await chillybin.stock(), { bread: 10, cheese: 10, vegemite: 10 });
        assert.deepEqual(await chillybin.orders(), []);
      });
    });
});
