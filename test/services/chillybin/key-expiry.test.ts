// Idempotency keys expire (IDEMPOTENCY_KEY_TTL): within it a retry gets the
// first answer and takes nothing; after it the retry is a new call; expired
// keys are pruned in small batches off the hot path, and a gauge says how many
// are kept. One client sending unique keys can no longer grow the table forever.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { sql, type Kysely } from "kysely";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import { composeChillybin } from "../../../services/chillybin/chillybin-server.js";
import type { ChillybinDatabase } from "../../../services/chillybin/database.js";
import { COUNTED_KEYS_BELOW, countKeys, pruneExpiredKeys } from "../../../services/chillybin/key-pruner.js";
import { noHurry } from "../../support/deadlines.js";
import { request } from "../../support/http.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

const TTL_MS = 400;

describe("idempotency keys expire (IDEMPOTENCY_KEY_TTL)", function () {
  this.timeout(30_000);
  let chillybin: TestChillybin;
  let db: Kysely<ChillybinDatabase>;
  before(async () => {
    chillybin = await startChillybin({ idempotencyKeyTtlMs: TTL_MS });
    db = chillybin.db;
  });
  after(() => chillybin?.stop());
  beforeEach(async () => {
    await chillybin.setStock({ cheese: 10 });
    await db.deleteFrom("idempotency_keys").execute();
  });

  const pickWithKey = (key: string) =>
    createClient(v1.ChillybinService, TRANSPORTS[2]!.make(chillybin.server.url)).pick({ name: "cheese", quantity: 1 }, { headers: { "idempotency-key": key } });
  const keptGauge = async () => Number(/^chillybin_idempotency_keys (\d+)$/m.exec((await request(chillybin.server.url, "GET", "/metrics")).text)?.[1]);

  it("within the TTL a retry gets the first answer; after it, the retry is a new call", async () => {
    assert.equal((await pickWithKey("k1")).remaining, 9);
    assert.equal((await pickWithKey("k1")).remaining, 9, "the first answer, nothing taken");
    assert.equal((await chillybin.stock()).cheese, 9);
    assert.equal(await keptGauge(), 1);
    await sleep(TTL_MS + 100);
    assert.equal((await pickWithKey("k1")).remaining, 8, "expired: taken again");
    assert.equal((await pickWithKey("k1")).remaining, 8, "and kept again from now");
  });

  it("an expired key not pruned yet is this call's: the call runs again (no pruner here)", async () => {
    const { calls } = composeChillybin(db, { idempotencyKeyTtlMs: TTL_MS });
    const input = create(v1.PickRequestSchema, { name: "cheese", quantity: 1 });
    const pick = () =>
      calls.once("old", v1.ChillybinService.method.pick, input, noHurry(), async (store) =>
        create(v1.PickResponseSchema, { name: "cheese", remaining: await store.stock.pick("cheese", 1, noHurry()) }),
      );
    assert.equal((await pick()).remaining, 9);
    await db.updateTable("idempotency_keys").set({ created_at: sql<Date>`now() - interval '1 hour'` }).where("key", "=", "old").execute();
    assert.equal((await pick()).remaining, 8, "the expired key's answer is not given again");
    assert.equal((await pick()).remaining, 8, "the key is this call's now");
  });

  it("expired keys are pruned while the server runs; the gauge follows", async () => {
    for (const key of ["a", "b", "c"]) await pickWithKey(key);
    assert.equal(await keptGauge(), 3);
    const deadline = Date.now() + 5_000;
    while ((await countKeys(db)) > 0 && Date.now() < deadline) await sleep(50);
    assert.equal(await countKeys(db), 0);
    assert.equal(await keptGauge(), 0);
  });

  it("pruneExpiredKeys deletes every expired key in batches of 500, and keeps the rest", async () => {
    // The server's own pruner (TTL_MS) runs beside this one and would take some of them: every key is made
    // in the future, where it does not look, and this pruner is asked from two hours ahead (a TTL of -2 h).
    await sql`
      insert into idempotency_keys (key, rpc, fingerprint, created_at)
      select 'old-' || n, 'chillybin.v1.Pick', 'f', now() + interval '1 hour' from generate_series(1, 1200) as n`.execute(db);
    await sql`insert into idempotency_keys (key, rpc, fingerprint, created_at)
      values ('fresh-1', 'chillybin.v1.Pick', 'f', now() + interval '3 hours'), ('fresh-2', 'chillybin.v1.Pick', 'f', now() + interval '3 hours')`.execute(db);
    assert.equal(await pruneExpiredKeys(db, -2 * 3_600_000), 1200);
    assert.deepEqual(
      (await db.selectFrom("idempotency_keys").select("key").orderBy("key").execute()).map((r) => r.key),
      ["fresh-1", "fresh-2"],
    );
  });

  it(`past ${COUNTED_KEYS_BELOW} keys the gauge reads PostgreSQL's statistics (a day of keys can be millions: no scrape counts them all)`, async () => {
    // Made "in an hour": the pruner (TTL_MS here) must not take any while the test runs.
    const insert = (n: number) =>
      sql`insert into idempotency_keys (key, rpc, fingerprint, created_at)
          select 'k-' || n, 'chillybin.v1.Pick', 'f', now() + interval '1 hour' from generate_series(1, ${n}) as n`.execute(db);
    const near = (value: number, expected: number) => assert.ok(Math.abs(value - expected) <= expected * 0.03, `${value}, expected about ${expected}`);
    // Autovacuum would refresh the statistics at a moment of its own choosing.
    await sql`alter table idempotency_keys set (autovacuum_enabled = false)`.execute(db);
    try {
      await insert(30_000);
      await sql`analyze idempotency_keys`.execute(db);
      near(await keptGauge(), 30_000);
      await sql`delete from idempotency_keys where substr(key, 3)::int > 5000`.execute(db);
      near(await keptGauge(), 30_000); // not counted: the statistics still say 30,000 until the next analyze
      await sql`analyze idempotency_keys`.execute(db);
      assert.equal(await keptGauge(), 5_000, "below the threshold again: counted, exactly");
    } finally {
      await sql`alter table idempotency_keys reset (autovacuum_enabled)`.execute(db);
    }
  });
});
