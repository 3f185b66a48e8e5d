// A caller's deadline means what it says: jafflr passes what is left of it to
// chillybin, answers DEADLINE_EXCEEDED (HTTP 504) when it runs out, never
// UNAVAILABLE (which tells retry policies the call is safe to repeat), and a
// toastie stays all or nothing. A caller's deadline or cancellation never
// opens jafflr's circuit breaker; chillybin's own failures do.
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { sql } from "kysely";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { JafflrService, MakeToastieRequestSchema } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { createChillybinTransport } from "../../../services/jafflr/chillybin-client.js";
import { connectJsonCall, grpcCall } from "../../support/raw-calls.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { usingPostgresServer } from "../../../scripts/support/scratch-database.js";
import { TRANSPORTS } from "../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };
const TAKEN = { bread: 8, cheese: 9, vegemite: 10 };
const MAKE_TOASTIE = "/jafflr.v1.JafflrService/MakeToastie";

/**
 * Holds cheese's row lock in a transaction until released, so a toastie
 * blocks at its cheese (on embedded PostgreSQL, one connection, every
 * statement waits): the deadline runs out while chillybin is busy.
 */
async function holdCheese(chillybin: TestChillybin): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = chillybin.db.transaction().execute(async (trx) => {
    await trx.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").forUpdate().execute();
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await done;
  };
}

/**
 * Waits until chillybin has finished every call, database work included: a
 * call jafflr gave up on is answered at once, but its transaction, blocked on
 * the lock, still commits (or not) after the lock is released.
 */
async function chillybinQuiet(chillybin: TestChillybin): Promise<void> {
  const busy = async () => {
    if ((await chillybin.server.metrics.inFlight.get()).values[0]?.value) return true;
    // Embedded PostgreSQL runs statements one at a time, in order: this one runs after theirs.
    if (!usingPostgresServer) {
      await sql`select 1`.execute(chillybin.db);
      return false;
    }
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`.execute(
      chillybin.db,
    );
    return rows[0]!.n > 0;
  };
  for (let quietChecks = 0; quietChecks < 3; quietChecks = (await busy()) ? 0 : quietChecks + 1) await new Promise((r) => setTimeout(r, 20));
}

describe("deadlines and jafflr's circuit breaker", function () {
  this.timeout(60_000);
  let chillybin: TestChillybin;
  before(async () => (chillybin = await startChillybin()));
  after(() => chillybin?.stop());

  // A breaker that, once open, stays open for the rest of the test: any call it counted would show.
  const jafflrWith = (chillybinTimeoutMs = 10_000) =>
    startJafflr({
      chillybinUrl: chillybin.server.url,
      chillybinTimeoutMs,
      chillybinTransport: createChillybinTransport({ baseUrl: chillybin.server.url, resilience: { retries: 0, breakAfter: 3, halfOpenAfterMs: 60_000 } }),
    });

  describe("a toastie (one PickOrder)", () => {
    let jafflr: TestJafflr;
    before(async () => (jafflr = await jafflrWith()));
    after(() => jafflr?.stop());
    beforeEach(() => chillybin.setStock(DEFAULT));

    // Each answers the code's name ("deadline_exceeded"), and what else it said.
    const protocols: Array<{ name: string; call: (customer: string) => Promise<{ code: string; said: string }> }> = [
      {
        name: "Connect, connect-timeout-ms: 200",
        call: async (customer) => {
          const res = await connectJsonCall(jafflr.server.url, MAKE_TOASTIE, { ingredients: ["cheese"], customer }, { "connect-timeout-ms": "200" });
          return { code: (res.json as { code?: string }).code ?? "ok", said: `HTTP ${res.status} ${res.text}` };
        },
      },
      {
        name: "gRPC, grpc-timeout: 200m",
        call: async (customer) => {
          const res = await grpcCall(
            jafflr.server.url,
            MAKE_TOASTIE,
            MakeToastieRequestSchema,
            create(MakeToastieRequestSchema, { ingredients: ["cheese"], customer }),
            { "grpc-timeout": "200m" },
          );
          return { code: codeToString(res.status as Code), said: res.message };
        },
      },
    ];
    for (const protocol of protocols) {
      it(`${protocol.name}: DEADLINE_EXCEEDED while chillybin is busy, and all or nothing taken`, async () => {
        const customer = `deadline-${protocol.name.split(",")[0]}`;
        const release = await holdCheese(chillybin);
        let answer: Awaited<ReturnType<typeof protocol.call>> | undefined;
        try {
          const call = protocol.call(customer);
          // Let the deadline pass while the order waits for the lock.
          await new Promise((r) => setTimeout(r, 400));
          await release();
          answer = await call;
        } finally {
          await release();
        }
        assert.ok(answer);
        assert.equal(answer.code, "deadline_exceeded", answer.said);
        if (protocol.name.startsWith("Connect")) assert.match(answer.said, /^HTTP 504 /);
        await chillybinQuiet(chillybin);
        const stock = await chillybin.stock();
        const orders = (await chillybin.orders()).filter((o) => o.customer === customer);
        if (JSON.stringify(stock) === JSON.stringify(DEFAULT)) assert.equal(orders.length, 0, "nothing taken, no order");
        else {
          assert.deepEqual(stock, TAKEN, "the whole toastie or nothing");
          assert.equal(orders.length, 2, "both orders recorded");
        }
      });
    }
    it("a retry with the same Idempotency-Key after the deadline ran out gets the recorded toastie: one toastie's stock, whichever way the first attempt went", async () => {
      const customer = "deadline-retry";
      const headers = { "idempotency-key": "deadline-retry-1" };
      const release = await holdCheese(chillybin);
      let first: Awaited<ReturnType<typeof connectJsonCall>> | undefined;
      try {
        const call = connectJsonCall(jafflr.server.url, MAKE_TOASTIE, { ingredients: ["cheese"], customer }, { ...headers, "connect-timeout-ms": "200" });
        await new Promise((r) => setTimeout(r, 400));
        await release();
        first = await call;
      } finally {
        await release();
      }
      assert.ok(first);
      assert.equal(first.status, 504, first.text);
      await chillybinQuiet(chillybin);
      const retry = await createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url)).makeToastie({ ingredients: ["cheese"], customer }, { headers });
      assert.deepEqual(await chillybin.stock(), TAKEN, "one toastie's worth, not two");
      const orders = (await chillybin.orders()).filter((o) => o.customer === customer);
      assert.deepEqual(retry.toastie?.orderIds.map(String).sort(), orders.map((o) => o.id).sort(), "the recorded orders");
    });
  });

  it("short deadlines and cancelled calls never open the breaker; the next customer gets a toastie", async () => {
    const jafflr = await jafflrWith();
    const client = createClient(JafflrService, TRANSPORTS[1]!.make(jafflr.server.url));
    await chillybin.setStock({ bread: 1000, cheese: 1000 });
    try {
      const release = await holdCheese(chillybin);
      const failures: Code[] = [];
      const noted = (p: Promise<unknown>) =>
        p.then(
          () => failures.push(Code.Unknown),
          (e: unknown) => failures.push(ConnectError.from(e).code),
        );
      try {
        const calls: Array<Promise<unknown>> = [];
        for (let i = 0; i < 6; i++) calls.push(noted(client.makeToastie({ ingredients: ["cheese"], customer: `hasty-${i}` }, { timeoutMs: 100 })));
        for (let i = 0; i < 4; i++) {
          const leaving = new AbortController();
          setTimeout(() => leaving.abort(), 100);
          calls.push(noted(client.makeToastie({ ingredients: ["cheese"], customer: `leaving-${i}` }, { signal: leaving.signal })));
        }
        await Promise.all(calls);
      } finally {
        await release();
      }
      assert.deepEqual(failures.sort(), [...Array(4).fill(Code.Canceled), ...Array(6).fill(Code.DeadlineExceeded)].sort());
      await chillybinQuiet(chillybin);
      const made = await client.makeToastie({ ingredients: ["cheese"], customer: "patient" });
      assert.equal(made.toastie?.customer, "patient", "the breaker stayed closed");
    } finally {
      await jafflr.stop();
    }
  });

  it("chillybin too slow for jafflr's own timeout (the caller had time): DEADLINE_EXCEEDED, and the breaker opens", async () => {
    const jafflr = await jafflrWith(100);
    const client = createClient(JafflrService, TRANSPORTS[1]!.make(jafflr.server.url));
    await chillybin.setStock({ bread: 1000, cheese: 1000 });
    const release = await holdCheese(chillybin);
    try {
      for (let i = 0; i < 3; i++) {
        const error = await client.makeToastie({ ingredients: ["cheese"], customer: `slow-${i}` }).then(
          () => assert.fail("made"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, Code.DeadlineExceeded, error.rawMessage);
      }
      const open = await client.makeToastie({ ingredients: ["cheese"], customer: "next" }).then(
        () => assert.fail("made"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(open.code, Code.Unavailable);
      assert.match(open.rawMessage, /the circuit is open/);
    } finally {
      await release();
      await chillybinQuiet(chillybin);
      await jafflr.stop();
    }
  });
});
