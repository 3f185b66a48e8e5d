// One test per defect that ../shared/SEED-NOTES.md lists in the original Go
// services, so that none of them can come back unnoticed. (Graceful shutdown
// on SIGTERM, the last defect listed, is tested on real processes in
// test/services/shutdown.test.ts; connection reuse in
// test/services/jafflr/chillybin-down.test.ts.)
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { Kitchen } from "../../services/jafflr/kitchen.js";
import { request } from "../support/http.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../support/services.js";
import { TRANSPORTS } from "../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

describe("regressions: the original's defects stay fixed", () => {
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  before(async () => {
    chillybin = await startChillybin();
    jafflr = await startJafflr({ chillybinUrl: chillybin.server.url });
  });
  after(async () => {
    await jafflr?.stop();
    await chillybin?.stop();
  });
  beforeEach(async () => {
    await chillybin.db.deleteFrom("orders").execute();
    await chillybin.setStock(DEFAULT);
  });

  const refusedPicks: Array<{ defect: string; path: string; status: number }> = [
    { defect: "quantity=-5 answered 200 and added stock", path: "/pick?name=cheese&quantity=-5", status: 400 },
    { defect: "quantity=0 answered 200", path: "/pick?name=cheese&quantity=0", status: 400 },
    { defect: "a huge quantity gave 500", path: "/pick?name=cheese&quantity=99999999999999999999", status: 400 },
  ];
  for (const r of refusedPicks) {
    it(`${r.defect}: now ${r.status}, stock unchanged`, async () => {
      assert.equal((await request(chillybin.server.url, "GET", r.path)).status, r.status);
      assert.deepEqual(await chillybin.stock(), DEFAULT);
    });
  }

  it("unknown ingredient and out-of-stock gave the same 410: now 404 and 400 with different codes", async () => {
    await chillybin.setStock({ cheese: 0 });
    const unknown = await request(chillybin.server.url, "GET", "/pick?name=ham&quantity=1");
    const empty = await request(chillybin.server.url, "GET", "/pick?name=cheese&quantity=1");
    assert.deepEqual([unknown.status, (unknown.json as { code: string }).code], [404, "not_found"]);
    assert.deepEqual([empty.status, (empty.json as { code: string }).code], [400, "failed_precondition"]);
  });

  it("/ caught every unknown path (/anything answered the stock): now 404", async () => {
    assert.equal((await request(chillybin.server.url, "GET", "/anything")).status, 404);
  });

  it("/restock accepted DELETE: now 405", async () => {
    assert.equal((await request(chillybin.server.url, "DELETE", "/restock")).status, 405);
  });

  const lostStock: Array<{ defect: string; path: string }> = [
    { defect: "an unknown ingredient failed after earlier ingredients were taken", path: "/toastie?i=cheese&i=ham" },
    { defect: "a toastie wanting more than in stock drained it, then failed", path: "/toastie?i=cheese&i=vegemite&i=vegemite" },
    { defect: "an invalid doneness failed after ingredients were taken", path: "/toastie?i=cheese&i=vegemite&doneness=crispy" },
    { defect: "a refused toastie for a customer took stock", path: "/toastie?i=cheese&i=ham&customer=gita" },
  ];
  // With a fresh Idempotency-Key, the half-finished rollout skipped the stock
  // check and took 2 bread and a cheese before answering 404.
  const keys: Array<{ with: string; headers: Record<string, string> }> = [
    { with: "", headers: {} },
    { with: " (with an Idempotency-Key)", headers: { "idempotency-key": "k1" } },
  ];
  for (const l of lostStock) {
    for (const k of keys) {
      it(`${l.defect}${k.with}: now it takes nothing`, async () => {
        await chillybin.db.deleteFrom("idempotency_keys").execute();
        await chillybin.setStock({ vegemite: 1 });
        const res = await request(jafflr.server.url, "GET", l.path, { headers: k.headers });
        assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
        assert.deepEqual(await chillybin.stock(), { ...DEFAULT, vegemite: 1 });
        assert.deepEqual(await chillybin.orders(), []);
      });
    }
  }

  it("toasting was one boolean the first finisher cleared: now a count", async () => {
    const waiting: Array<() => void> = [];
    const machine = await startJafflr({ chillybinUrl: chillybin.server.url, kitchen: new Kitchen(1, () => new Promise<void>((done) => waiting.push(done))) });
    try {
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(machine.server.url));
      const toasties = [client.makeToastie({ ingredients: ["cheese"] }), client.makeToastie({ ingredients: ["cheese"] })];
      while (waiting.length < 2) await new Promise((r) => setTimeout(r, 5));
      waiting[0]!();
      await Promise.race(toasties);
      const status = await client.getStatus({});
      assert.deepEqual([status.cooking, status.toasting], [1, true]);
      waiting[1]!();
      await Promise.all(toasties);
    } finally {
      await machine.stop();
    }
  });

  const v2Refusals: Array<{ defect: string; body: object; status: number }> = [
    { defect: "v2 wrote an order for an unknown ingredient", body: { ingredient: "ham", quantity: 1, customer: "gita" }, status: 404 },
    { defect: "v2 wrote an order for an empty customer", body: { ingredient: "cheese", quantity: 1, customer: "" }, status: 400 },
    { defect: "v2 answered 200 for an out-of-stock pick", body: { ingredient: "cheese", quantity: 99, customer: "gita" }, status: 400 },
  ];
  for (const v of v2Refusals) {
    it(`${v.defect}: now ${v.status} and no order`, async () => {
      const res = await request(chillybin.server.url, "POST", "/v2/pick", { body: JSON.stringify(v.body), headers: { "content-type": "application/json" } });
      assert.equal(res.status, v.status);
      assert.deepEqual(await chillybin.orders(), []);
      assert.deepEqual(await chillybin.stock(), DEFAULT);
    });
  }
});
