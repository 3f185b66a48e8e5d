import assert from "node:assert/strict";
import { equals, fromJson, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import { MakeToastieResponseSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import { startChillybin, TEST_VERSION, useServices, type TestChillybin, type TestJafflr } from "../support/services.js";
import { request } from "../support/http.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

describe("the original REST paths", () => {
  const services = useServices();
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  const stock = async () => (await request(chillybin.server.url, "GET", "/")).json;

  before(() => ({ chillybin, jafflr } = services));
  beforeEach(() => chillybin.setStock(DEFAULT));

  describe("chillybin", () => {
    const calls: Array<{ case: string; method: string; path: string; status: number; json?: unknown; after: Record<string, number>; allow?: string }> = [
      { case: "GET / answers the flat stock map", method: "GET", path: "/", status: 200, json: DEFAULT, after: DEFAULT },
      {
        case: "GET /pick takes stock",
        method: "GET",
        path: "/pick?name=cheese&quantity=1",
        status: 200,
        json: { name: "cheese", remaining: 9 },
        after: { ...DEFAULT, cheese: 9 },
      },
      {
        case: "POST /pick takes stock",
        method: "POST",
        path: "/pick?name=vegemite&quantity=3",
        status: 200,
        json: { name: "vegemite", remaining: 7 },
        after: { ...DEFAULT, vegemite: 7 },
      },
      { case: "quantity=-5 is refused (the original added stock)", method: "GET", path: "/pick?name=cheese&quantity=-5", status: 400, after: DEFAULT },
      { case: "quantity=0 is refused (the original answered 200)", method: "GET", path: "/pick?name=cheese&quantity=0", status: 400, after: DEFAULT },
      { case: "a huge quantity is a 400, not a 500", method: "GET", path: "/pick?name=cheese&quantity=99999999999999", status: 400, after: DEFAULT },
      { case: "a missing quantity is refused", method: "GET", path: "/pick?name=cheese", status: 400, after: DEFAULT },
      {
        case: "unknown ingredient → 404",
        method: "GET",
        path: "/pick?name=ham&quantity=1",
        status: 404,
        json: { code: "not_found", message: 'unknown ingredient "ham"' },
        after: DEFAULT,
      },
      {
        case: "out of stock → 400 failed_precondition, not the same as unknown",
        method: "GET",
        path: "/pick?name=cheese&quantity=11",
        status: 400,
        json: { code: "failed_precondition", message: "not enough cheese: wanted 11, 10 in stock" },
        after: DEFAULT,
      },
      { case: "nome= (the 'breaky' client) is refused, naming it", method: "GET", path: "/pick?nome=cheese&quantity=1", status: 400, after: DEFAULT },
      { case: "GET /restock", method: "GET", path: "/restock", status: 200, json: { stock: DEFAULT }, after: DEFAULT },
      { case: "POST /restock", method: "POST", path: "/restock", status: 200, json: { stock: DEFAULT }, after: DEFAULT },
      { case: "DELETE /restock → 405 (the original accepted it)", method: "DELETE", path: "/restock", status: 405, allow: "GET, POST", after: DEFAULT },
      {
        case: "an unknown path → 404 (the original answered the stock)",
        method: "GET",
        path: "/anything",
        status: 404,
        json: { code: "not_found", message: "no route for GET /anything" },
        after: DEFAULT,
      },
      {
        case: "a NUL byte in a name is the caller's mistake: 400 naming the field (PostgreSQL cannot store it)",
        method: "GET",
        path: "/pick?name=cheese%00&quantity=1",
        status: 400,
        json: { code: "invalid_argument", message: "name must not contain a NUL character (U+0000)" },
        after: DEFAULT,
      },
      {
        case: "//x/pick is a path, not a host and /pick: 400, nothing taken",
        method: "GET",
        path: "//x/pick?name=cheese&quantity=1",
        status: 400,
        after: DEFAULT,
      },
      { case: "//pick is not /pick either", method: "GET", path: "//pick?name=cheese&quantity=1", status: 400, after: DEFAULT },
    ];
    for (const c of calls) {
      it(`${c.case}`, async () => {
        const res = await request(chillybin.server.url, c.method, c.path);
        assert.equal(res.status, c.status, res.text);
        // Errors: their code and message here (their StockRefusal details: test/services/jafflr/refusal-details.test.ts).
        const { code, message } = res.json as { code?: string; message?: string };
        if (c.json !== undefined) assert.deepEqual(c.status >= 400 ? { code, message } : res.json, c.json);
        if (c.status >= 400) assert.ok(message!.length > 0);
        if (c.allow) assert.equal(res.headers.allow, c.allow);
        assert.deepEqual(await stock(), c.after);
      });
    }

    it("restock puts the default stock back after picks", async () => {
      await chillybin.setStock({ cheese: 0, bread: 3 });
      assert.equal((await request(chillybin.server.url, "POST", "/restock")).status, 200);
      assert.deepEqual(await stock(), DEFAULT);
    });

    it("GET /health answers 200 with the status and VERSION while serving", async () => {
      const res = await request(chillybin.server.url, "GET", "/health");
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: "SERVING", version: TEST_VERSION });
    });
  });

  describe("chillybin /health when it cannot serve", () => {
    it("answers 503 while the database is unreachable, and while shutting down", async () => {
      const broken = await startChillybin();
      try {
        assert.equal((await request(broken.server.url, "GET", "/health")).status, 200);
        await broken.db.destroy(); // the database goes away under the running service
        const down = await request(broken.server.url, "GET", "/health");
        assert.equal(down.status, 503);
        assert.equal((down.json as { status: string }).status, "NOT_SERVING");
        assert.match((down.json as { reason: string }).reason, /database unreachable/);
      } finally {
        await broken.server.close();
        await broken.database.drop().catch(() => {});
      }
      const closing = await startChillybin();
      try {
        closing.server.health.markShuttingDown();
        const res = await request(closing.server.url, "GET", "/health");
        assert.equal(res.status, 503);
        assert.deepEqual(res.json, { status: "NOT_SERVING", version: TEST_VERSION, reason: "shutting down" });
      } finally {
        await closing.stop();
      }
    });
  });

  describe("jafflr", () => {
    it("the original's own integration test: POST /restock, GET /, POST /toastie (text/plain, no body), GET /", async () => {
      assert.equal((await request(chillybin.server.url, "POST", "/restock")).status, 200);
      assert.equal(((await stock()) as Record<string, number>).cheese, 10);
      const made = await request(jafflr.server.url, "POST", "/toastie?i=cheese&i=vegemite", { headers: { "content-type": "text/plain" } });
      assert.equal(made.status, 200, made.text);
      assert.equal(((await stock()) as Record<string, number>).cheese, 9);
    });

    // orders: how many order ids the toastie answers (one per distinct ingredient).
    const toasties: Array<{ case: string; method: string; path: string; status: number; toastie?: unknown; orders?: number; after: Record<string, number> }> = [
      {
        case: "GET with i, doneness, customer",
        method: "GET",
        path: "/toastie?i=cheese&i=vegemite&doneness=medium&customer=gita",
        status: 200,
        toastie: { ingredients: ["bread", "bread", "cheese", "vegemite"], doneness: "DONENESS_MEDIUM", customer: "gita" },
        orders: 3,
        after: { bread: 8, cheese: 9, vegemite: 9 },
      },
      {
        case: "POST with the same query",
        method: "POST",
        path: "/toastie?i=cheese&i=vegemite&doneness=medium&customer=gita",
        status: 200,
        toastie: { ingredients: ["bread", "bread", "cheese", "vegemite"], doneness: "DONENESS_MEDIUM", customer: "gita" },
        orders: 3,
        after: { bread: 8, cheese: 9, vegemite: 9 },
      },
      {
        case: "doneness well-done as the original spelled it; no customer: the default one",
        method: "GET",
        path: "/toastie?i=cheese&doneness=well-done",
        status: 200,
        toastie: { ingredients: ["bread", "bread", "cheese"], doneness: "DONENESS_WELL_DONE", customer: "walk-in" },
        orders: 2,
        after: { bread: 8, cheese: 9, vegemite: 10 },
      },
      { case: "no cheese → 400, nothing picked", method: "GET", path: "/toastie?i=vegemite", status: 400, after: DEFAULT },
      { case: "no ingredients → 400, nothing picked", method: "POST", path: "/toastie", status: 400, after: DEFAULT },
      { case: "an invalid doneness → 400, nothing picked", method: "GET", path: "/toastie?i=cheese&doneness=crispy", status: 400, after: DEFAULT },
      { case: "DELETE → 405", method: "DELETE", path: "/toastie?i=cheese", status: 405, after: DEFAULT },
    ];
    for (const t of toasties) {
      it(`/toastie: ${t.case}`, async () => {
        const res = await request(jafflr.server.url, t.method, t.path);
        assert.equal(res.status, t.status, res.text);
        if (t.toastie) {
          const { orderIds, ...toastie } = (res.json as { toastie: { orderIds: string[] } }).toastie;
          assert.deepEqual(toastie, t.toastie);
          assert.equal(orderIds.length, t.orders);
        }
        assert.deepEqual(await stock(), t.after);
      });
    }

    it("GET / answers the status, zero values included", async () => {
      const res = await request(jafflr.server.url, "GET", "/");
      assert.deepEqual(res.json, { cooking: 0, toasting: false });
    });

    it("GET /health answers 200 with the VERSION and chillybin's status; unknown paths 404", async () => {
      assert.deepEqual((await request(jafflr.server.url, "GET", "/health")).json, {
        status: "SERVING",
        version: TEST_VERSION,
        dependencies: { chillybin: { status: "SERVING" } },
      });
      assert.equal((await request(jafflr.server.url, "GET", "/toasties")).status, 404);
    });
  });

  describe("REST and Connect give the same answer for the same call", () => {
    // The same message: REST writes zero values ("orderIds": []) that Connect's JSON leaves out.
    const pairs: Array<{ case: string; service: "chillybin" | "jafflr"; rest: [string, string]; rpc: string; body: unknown; output: DescMessage }> = [
      {
        case: "a pick",
        service: "chillybin",
        rest: ["GET", "/pick?name=bread&quantity=2"],
        rpc: "/chillybin.v1.ChillybinService/Pick",
        body: { name: "bread", quantity: 2 },
        output: v1.PickResponseSchema,
      },
      {
        case: "an unknown ingredient",
        service: "chillybin",
        rest: ["GET", "/pick?name=ham&quantity=1"],
        rpc: "/chillybin.v1.ChillybinService/Pick",
        body: { name: "ham", quantity: 1 },
        output: v1.PickResponseSchema,
      },
      {
        case: "too many",
        service: "chillybin",
        rest: ["POST", "/pick?name=cheese&quantity=50"],
        rpc: "/chillybin.v1.ChillybinService/Pick",
        body: { name: "cheese", quantity: 50 },
        output: v1.PickResponseSchema,
      },
      {
        case: "a restock",
        service: "chillybin",
        rest: ["POST", "/restock"],
        rpc: "/chillybin.v1.ChillybinService/Restock",
        body: {},
        output: v1.RestockResponseSchema,
      },
      {
        case: "a toastie",
        service: "jafflr",
        rest: ["GET", "/toastie?ingredients=cheese&doneness=burnt&customer=kim"],
        rpc: "/jafflr.v1.JafflrService/MakeToastie",
        body: { ingredients: ["cheese"], doneness: "DONENESS_BURNT", customer: "kim" },
        output: MakeToastieResponseSchema,
      },
      {
        case: "a refused toastie",
        service: "jafflr",
        rest: ["GET", "/toastie?i=ham"],
        rpc: "/jafflr.v1.JafflrService/MakeToastie",
        body: { ingredients: ["ham"] },
        output: MakeToastieResponseSchema,
      },
    ];
    for (const p of pairs) {
      it(`${p.case}`, async () => {
        const url = (p.service === "chillybin" ? chillybin : jafflr).server.url;
        const viaRest = await request(url, p.rest[0], p.rest[1]);
        await chillybin.setStock(DEFAULT);
        const viaConnect = await request(url, "POST", p.rpc, { body: JSON.stringify(p.body), headers: { "content-type": "application/json" } });
        assert.equal(viaRest.status, viaConnect.status);
        if (viaRest.status === 200) {
          // Each toastie records orders of its own: their ids differ, their number does not.
          const sameIds = (json: unknown) =>
            JSON.parse(JSON.stringify(json).replace(/"orderIds":\[[^\]]*\]/, (ids) => ids.replace(/"[0-9]+"/g, '"0"'))) as JsonValue;
          assert.ok(equals(p.output, fromJson(p.output, sameIds(viaRest.json)), fromJson(p.output, sameIds(viaConnect.json))));
        } else assert.deepEqual(viaRest.json, viaConnect.json);
      });
    }
  });
});
