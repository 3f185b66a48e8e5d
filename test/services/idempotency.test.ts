// A client-supplied Idempotency-Key makes a retried pick or toastie happen
// once; the retry gets the first answer.
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { Doneness, JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { keyScope } from "../../services/chillybin/idempotent-calls.js";
import { request } from "../support/http.js";
import { startChillybin, startJafflr, type TestChillybin } from "../support/services.js";
import { TRANSPORTS } from "../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };
const key = (k: string) => ({ headers: { "idempotency-key": k } });

describe("idempotency: a retried call happens once", () => {
  let chillybin: TestChillybin;
  const stock = () => chillybin.stock();
  const orderCount = async () => (await chillybin.db.selectFrom("orders").select("id").execute()).length;
  before(async () => (chillybin = await startChillybin()));
  after(() => chillybin?.stop());
  beforeEach(async () => {
    await chillybin.db.deleteFrom("orders").execute();
    await chillybin.db.deleteFrom("idempotency_keys").execute();
    await chillybin.setStock(DEFAULT);
  });

  it("v1 Pick: the retry answers what the first call answered, and takes nothing", async () => {
    const client = createClient(v1.ChillybinService, TRANSPORTS[1]!.make(chillybin.server.url));
    const first = await client.pick({ name: "cheese", quantity: 3 }, key("k-v1"));
    const retry = await client.pick({ name: "cheese", quantity: 3 }, key("k-v1"));
    assert.equal(first.remaining, 7);
    assert.equal(retry.remaining, 7);
    assert.equal((await stock()).cheese, 7);
    await client.pick({ name: "cheese", quantity: 3 }); // no key: a new pick
    assert.equal((await stock()).cheese, 4);
  });

  it("v2 Pick and PickOrder: one order, the same ids", async () => {
    const client = createClient(v2.ChillybinService, TRANSPORTS[2]!.make(chillybin.server.url));
    const a = await client.pick({ ingredient: "bread", quantity: 2, customer: "gita" }, key("k-v2"));
    const b = await client.pick({ ingredient: "bread", quantity: 2, customer: "gita" }, key("k-v2"));
    assert.equal(a.id, b.id);
    const order = {
      customer: "gita",
      items: [
        { ingredient: "cheese", quantity: 1 },
        { ingredient: "vegemite", quantity: 1 },
      ],
    };
    const c = await client.pickOrder(order, key("k-order"));
    const d = await client.pickOrder(order, key("k-order"));
    assert.deepEqual(c.ids, d.ids);
    assert.equal(await orderCount(), 3);
    assert.deepEqual(await stock(), { bread: 8, cheese: 9, vegemite: 9 });
  });

  it("concurrent retries with one key take stock once", async () => {
    const client = createClient(v2.ChillybinService, TRANSPORTS[1]!.make(chillybin.server.url));
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => client.pickOrder({ customer: "kim", items: [{ ingredient: "cheese", quantity: 2 }] }, key("k-race"))),
    );
    assert.equal(new Set(answers.map((a) => String(a.ids[0]))).size, 1);
    assert.equal((await stock()).cheese, 8);
    assert.equal(await orderCount(), 1);
  });

  it("a key reused for a different request is refused", async () => {
    const client = createClient(v2.ChillybinService, TRANSPORTS[1]!.make(chillybin.server.url));
    await client.pick({ ingredient: "bread", quantity: 1, customer: "gita" }, key("k-reuse"));
    const error = await client.pick({ ingredient: "bread", quantity: 5, customer: "gita" }, key("k-reuse")).catch((e: unknown) => ConnectError.from(e));
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.match(error.rawMessage, /idempotency-key "k-reuse" was used for a different/);
    assert.equal((await stock()).bread, 9);
  });

  it("a refused call stores nothing: its retry runs again", async () => {
    const client = createClient(v2.ChillybinService, TRANSPORTS[1]!.make(chillybin.server.url));
    await chillybin.setStock({ cheese: 0 });
    await assert.rejects(client.pick({ ingredient: "cheese", quantity: 1, customer: "gita" }, key("k-refused")));
    await chillybin.setStock({ cheese: 5 });
    assert.equal((await client.pick({ ingredient: "cheese", quantity: 1, customer: "gita" }, key("k-refused"))).remaining, 4);
  });

  it("REST passes the header on: a retried GET /pick happens once", async () => {
    const headers = { "idempotency-key": "k-rest" };
    assert.equal((await request(chillybin.server.url, "GET", "/pick?name=vegemite&quantity=4", { headers })).status, 200);
    assert.equal((await request(chillybin.server.url, "GET", "/pick?name=vegemite&quantity=4", { headers })).status, 200);
    assert.equal((await stock()).vegemite, 6);
  });

  it("a retried toastie takes its ingredients once, for any customer or none", async () => {
    const jafflr = await startJafflr({ chillybinUrl: chillybin.server.url });
    try {
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
      const first = await client.makeToastie({ ingredients: ["cheese"], customer: "gita" }, key("t-1"));
      const retry = await client.makeToastie({ ingredients: ["cheese"], customer: "gita" }, key("t-1"));
      assert.deepEqual(retry.toastie?.orderIds, first.toastie?.orderIds);
      await client.makeToastie({ ingredients: ["cheese"] }, key("t-2"));
      await client.makeToastie({ ingredients: ["cheese"] }, key("t-2"));
      assert.deepEqual(await stock(), { bread: 6, cheese: 8, vegemite: 10 });
    } finally {
      await jafflr.stop();
    }
  });

  it("a retried toastie whose first attempt took the last cheese still gets its first answer", async () => {
    await chillybin.setStock({ cheese: 1 });
    const jafflr = await startJafflr({ chillybinUrl: chillybin.server.url });
    try {
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
      const first = await client.makeToastie({ ingredients: ["cheese"] }, key("t-last"));
      const retry = await client.makeToastie({ ingredients: ["cheese"] }, key("t-last"));
      assert.deepEqual(retry.toastie, first.toastie);
      assert.deepEqual(await stock(), { bread: 8, cheese: 0, vegemite: 10 });
      // Without a key, the same toastie is refused, and nothing is taken.
      const refused = await client.makeToastie({ ingredients: ["cheese"] }).then(
        () => assert.fail("made"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(refused.code, Code.FailedPrecondition);
      assert.equal(refused.rawMessage, "cannot pick cheese: not enough cheese: wanted 1, 0 in stock");
      assert.deepEqual(await stock(), { bread: 8, cheese: 0, vegemite: 10 });
    } finally {
      await jafflr.stop();
    }
  });

  const REUSED_FOR = [
    { what: "other ingredients", toastie: { ingredients: ["cheese", "vegemite"], customer: "gita" } },
    { what: "another doneness", toastie: { ingredients: ["cheese"], customer: "gita", doneness: Doneness.BURNT } },
    { what: "another customer", toastie: { ingredients: ["cheese"], customer: "kim" } },
  ];
  for (const { what, toastie } of REUSED_FOR) {
    it(`a toastie key reused for ${what} is INVALID_ARGUMENT (never a 500) and takes nothing`, async () => {
      const jafflr = await startJafflr({ chillybinUrl: chillybin.server.url });
      try {
        const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
        await client.makeToastie({ ingredients: ["cheese"], customer: "gita" }, key("t-reused"));
        const taken = await stock();
        const reused = await client.makeToastie(toastie, key("t-reused")).then(
          () => assert.fail("made"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(reused.code, Code.InvalidArgument, reused.rawMessage);
        assert.match(reused.rawMessage, /idempotency-key "t-reused" was used for a different/);
        assert.deepEqual(await stock(), taken, "nothing more taken");
        assert.equal(await orderCount(), 2, "no order recorded");
      } finally {
        await jafflr.stop();
      }
    });
  }

  it("a toastie key too long is INVALID_ARGUMENT before anything is taken", async () => {
    const jafflr = await startJafflr({ chillybinUrl: chillybin.server.url });
    try {
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
      const long = await client.makeToastie({ ingredients: ["cheese"], customer: "gita" }, key("k".repeat(201))).then(
        () => assert.fail("made"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(long.code, Code.InvalidArgument);
      assert.equal(long.rawMessage, "idempotency-key must be 1 to 200 characters");
      assert.deepEqual(await stock(), DEFAULT, "nothing taken");
    } finally {
      await jafflr.stop();
    }
  });
});

describe("where an Idempotency-Key is unique", () => {
  // Stored with each key: a deploy that changed these would make every key
  // stored before it look new, and a retry across the deploy happen twice.
  const scopes: Array<[string, string]> = [
    [keyScope(v1.ChillybinService.method.pick), "chillybin.v1.Pick"],
    [keyScope(v2.ChillybinService.method.pick), "chillybin.v2.Pick"],
    [keyScope(v2.ChillybinService.method.pickOrder), "chillybin.v2.PickOrder"],
  ];
  for (const [scope, stored] of scopes) {
    it(`${stored}: the name keys were first stored under`, () => assert.equal(scope, stored));
  }

  it("a key used once is stored under its call's scope", async () => {
    const chillybin = await startChillybin();
    try {
      await chillybin.setStock({ cheese: 5 });
      await createClient(v2.ChillybinService, TRANSPORTS[0]!.make(chillybin.server.url)).pick(
        { ingredient: "cheese", quantity: 1, customer: "gita" },
        { headers: { "idempotency-key": "scope-test" } },
      );
      const rows = await chillybin.db.selectFrom("idempotency_keys").select(["key", "rpc"]).execute();
      assert.deepEqual(rows, [{ key: "scope-test", rpc: "chillybin.v2.Pick" }]);
    } finally {
      await chillybin.stop();
    }
  });
});
