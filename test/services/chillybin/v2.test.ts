import assert from "node:assert/strict";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { ChillybinService } from "../../../gen/chillybin/v2/chillybin_pb.js";
import { request } from "../../support/http.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

describe("chillybin.v2", () => {
  let chillybin: TestChillybin;
  let client: Client<typeof ChillybinService>;
  const orders = () => chillybin.orders();
  const stock = () => chillybin.stock();

  before(async () => {
    chillybin = await startChillybin();
    client = createClient(ChillybinService, TRANSPORTS[1]!.make(chillybin.server.url));
  });
  after(() => chillybin?.stop());
  beforeEach(async () => {
    await chillybin.db.deleteFrom("orders").execute();
    await chillybin.setStock(DEFAULT);
  });

  describe("Pick", () => {
    it("takes stock and records the order, answering its id", async () => {
      const res = await client.pick({ ingredient: "cheese", quantity: 2, customer: "gita" });
      assert.equal(res.remaining, 8);
      const rows = await orders();
      assert.equal(rows.length, 1);
      assert.deepEqual(
        { ...rows[0], created_at: undefined },
        { id: String(res.id), customer: "gita", ingredient: "cheese", quantity: 2, reference: "", created_at: undefined },
      );
      assert.ok(rows[0]!.created_at instanceof Date);
      assert.deepEqual(await stock(), { ...DEFAULT, cheese: 8 });
    });

    const refused: Array<{ case: string; ingredient: string; quantity: number; customer: string; code: Code; message: RegExp }> = [
      { case: "an unknown ingredient", ingredient: "ham", quantity: 1, customer: "gita", code: Code.NotFound, message: /unknown ingredient "ham"/ },
      {
        case: "not enough stock",
        ingredient: "cheese",
        quantity: 11,
        customer: "gita",
        code: Code.FailedPrecondition,
        message: /not enough cheese: wanted 11, 10 in stock/,
      },
      {
        case: "an empty customer",
        ingredient: "cheese",
        quantity: 1,
        customer: "",
        code: Code.InvalidArgument,
        message: /^customer: must be at least 1 characters \[string\.min_len\]/,
      },
      {
        case: "a blank customer",
        ingredient: "cheese",
        quantity: 1,
        customer: "  ",
        code: Code.InvalidArgument,
        message: /^customer: does not match regex pattern .* \[string\.pattern\]$/,
      },
      {
        case: "an empty ingredient",
        ingredient: "",
        quantity: 1,
        customer: "gita",
        code: Code.InvalidArgument,
        message: /^ingredient: must be at least 1 characters \[string\.min_len\]/,
      },
      {
        case: "quantity 0",
        ingredient: "cheese",
        quantity: 0,
        customer: "gita",
        code: Code.InvalidArgument,
        message: /quantity: must be greater than or equal to 1 \[int32\.gte\]$/,
      },
      {
        case: "a negative quantity",
        ingredient: "cheese",
        quantity: -5,
        customer: "gita",
        code: Code.InvalidArgument,
        message: /^quantity: must be greater than or equal to 1 \[int32\.gte\]$/,
      },
    ];
    for (const r of refused) {
      it(`refuses ${r.case} like v1 (${Code[r.code]}) and writes no order`, async () => {
        const error = await client.pick(r).then(
          () => assert.fail("accepted"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, r.code);
        assert.match(error.rawMessage, r.message);
        assert.deepEqual(await orders(), []);
        assert.deepEqual(await stock(), DEFAULT);
      });
    }

    it("order rows match the successful picks exactly under concurrency", async () => {
      await chillybin.setStock({ cheese: 9 });
      const customers = ["gita", "kim", "lou"];
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => client.pick({ ingredient: "cheese", quantity: 1 + (i % 2), customer: customers[i % 3]! })),
      );
      const succeeded = outcomes.flatMap((o, i) =>
        o.status === "fulfilled" ? [{ id: String(o.value.id), customer: customers[i % 3]!, quantity: 1 + (i % 2) }] : [],
      );
      for (const o of outcomes) if (o.status === "rejected") assert.equal(ConnectError.from(o.reason).code, Code.FailedPrecondition);
      const rows = await orders();
      assert.deepEqual(
        rows.map((r) => ({ id: r.id, customer: r.customer, quantity: r.quantity })).sort((a, b) => Number(a.id) - Number(b.id)),
        succeeded.sort((a, b) => Number(a.id) - Number(b.id)),
      );
      const taken = succeeded.reduce((sum, s) => sum + s.quantity, 0);
      assert.equal((await stock()).cheese, 9 - taken);
      assert.ok(taken >= 8, `stock left over while picks failed: took ${taken} of 9`);
    });

    describe("REST: POST /v2/pick", () => {
      it("takes the JSON body and answers the order id (int64 as a JSON string)", async () => {
        const res = await request(chillybin.server.url, "POST", "/v2/pick", {
          body: JSON.stringify({ ingredient: "cheese", quantity: 2, customer: "gita" }),
          headers: { "content-type": "application/json" },
        });
        assert.equal(res.status, 200, res.text);
        const rows = await orders();
        assert.deepEqual(res.json, { id: rows[0]!.id, remaining: 8 });
        assert.equal(rows[0]!.customer, "gita");
      });

      const bad: Array<{ case: string; body: string; status: number; message: RegExp }> = [
        { case: "an unknown ingredient", body: '{"ingredient":"ham","quantity":1,"customer":"gita"}', status: 404, message: /unknown ingredient/ },
        { case: "out of stock", body: '{"ingredient":"cheese","quantity":50,"customer":"gita"}', status: 400, message: /not enough cheese/ },
        {
          case: "no customer",
          body: '{"ingredient":"cheese","quantity":1}',
          status: 400,
          message: /^customer: must be at least 1 characters \[string\.min_len\]/,
        },
        { case: "an unknown field (the v1 name)", body: '{"name":"cheese","quantity":1,"customer":"gita"}', status: 400, message: /"name" is unknown/ },
        { case: "a string quantity", body: '{"ingredient":"cheese","quantity":"lots","customer":"gita"}', status: 400, message: /quantity/ },
        { case: "a query parameter instead of the body", body: "", status: 400, message: /quantity|customer|ingredient/ },
      ];
      for (const b of bad) {
        it(`refuses ${b.case} with ${b.status}, writing no order`, async () => {
          const path = b.body === "" ? "/v2/pick?ingredient=cheese" : "/v2/pick";
          const res = await request(chillybin.server.url, "POST", path, { body: b.body || undefined, headers: { "content-type": "application/json" } });
          assert.equal(res.status, b.status, res.text);
          assert.match((res.json as { message: string }).message, b.message);
          assert.deepEqual(await orders(), []);
          assert.deepEqual(await stock(), DEFAULT);
        });
      }
    });
  });

  describe("PickOrder: several ingredients, all or nothing", () => {
    it("takes every item and records an order per item with its reference, answering the orders (named) and ids in the items' order", async () => {
      const items = [
        { ingredient: "vegemite", quantity: 1 },
        { ingredient: "bread", quantity: 2 },
        { ingredient: "cheese", quantity: 1 },
      ];
      const res = await client.pickOrder({ customer: "gita", items, reference: "toastie, burnt" });
      const rows = await orders();
      assert.deepEqual(rows.map((r) => [r.customer, r.ingredient, r.quantity, r.reference]).sort(), [
        ["gita", "bread", 2, "toastie, burnt"],
        ["gita", "cheese", 1, "toastie, burnt"],
        ["gita", "vegemite", 1, "toastie, burnt"],
      ]);
      const idOf = (ingredient: string) => BigInt(rows.find((r) => r.ingredient === ingredient)!.id);
      assert.deepEqual(res.ids, [idOf("vegemite"), idOf("bread"), idOf("cheese")]);
      assert.deepEqual(
        res.orders.map(({ id, ingredient, quantity }) => ({ id, ingredient, quantity })),
        items.map((item) => ({ id: idOf(item.ingredient), ...item })),
      );
      assert.deepEqual(await stock(), { bread: 8, cheese: 9, vegemite: 9 });
    });

    const refused: Array<{
      case: string;
      setup?: Record<string, number>;
      customer?: string;
      reference?: string;
      items: Array<{ ingredient: string; quantity: number }>;
      code: Code;
      message: RegExp;
    }> = [
      {
        case: "an unknown ingredient after good ones",
        items: [
          { ingredient: "bread", quantity: 2 },
          { ingredient: "cheese", quantity: 1 },
          { ingredient: "ham", quantity: 1 },
        ],
        code: Code.NotFound,
        message: /unknown ingredient "ham"/,
      },
      {
        case: "one item more than in stock",
        setup: { vegemite: 0 },
        items: [
          { ingredient: "bread", quantity: 2 },
          { ingredient: "vegemite", quantity: 1 },
        ],
        code: Code.FailedPrecondition,
        message: /not enough vegemite: wanted 1, 0 in stock/,
      },
      {
        case: "the original's drain: wanting more than there is",
        items: [
          { ingredient: "cheese", quantity: 5 },
          { ingredient: "bread", quantity: 11 },
        ],
        code: Code.FailedPrecondition,
        message: /not enough bread/,
      },
      { case: "no items", items: [], code: Code.InvalidArgument, message: /^items: must contain at least 1 item\(s\) \[repeated\.min_items\]$/ },
      {
        case: "an ingredient listed twice",
        items: [
          { ingredient: "cheese", quantity: 1 },
          { ingredient: "cheese", quantity: 1 },
        ],
        code: Code.InvalidArgument,
        message: /^items: cheese is listed twice: give each ingredient once, with its quantity \[items\.unique_ingredients\]$/,
      },
      {
        case: "a bad quantity",
        items: [
          { ingredient: "cheese", quantity: 1 },
          { ingredient: "bread", quantity: 0 },
        ],
        code: Code.InvalidArgument,
        message: /^items\[1\]\.quantity: must be greater than or equal to 1 \[int32\.gte\]$/,
      },
      {
        case: "an empty ingredient",
        items: [{ ingredient: "", quantity: 1 }],
        code: Code.InvalidArgument,
        message: /^items\[0\]\.ingredient: must be at least 1 characters \[string\.min_len\]/,
      },
      {
        case: "no customer",
        customer: "",
        items: [{ ingredient: "cheese", quantity: 1 }],
        code: Code.InvalidArgument,
        message: /^customer: must be at least 1 characters \[string\.min_len\]/,
      },
      {
        case: "a reference over 200 characters",
        reference: "r".repeat(201),
        items: [{ ingredient: "cheese", quantity: 1 }],
        code: Code.InvalidArgument,
        message: /^reference: must be at most 200 characters \[string\.max_len\]$/,
      },
    ];
    for (const r of refused) {
      it(`refuses ${r.case} (${Code[r.code]}): nothing taken, nothing recorded`, async () => {
        if (r.setup) await chillybin.setStock(r.setup);
        const before = await stock();
        const error = await client.pickOrder({ customer: r.customer ?? "gita", items: r.items, reference: r.reference }).then(
          () => assert.fail("accepted"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, r.code);
        assert.match(error.rawMessage, r.message);
        assert.deepEqual(await stock(), before);
        assert.deepEqual(await orders(), []);
      });
    }

    it("concurrent orders over shared ingredients never oversell and never half-take", async () => {
      await chillybin.setStock({ bread: 9, cheese: 5 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          client.pickOrder({
            customer: `c${i}`,
            items:
              i % 2
                ? [
                    { ingredient: "bread", quantity: 2 },
                    { ingredient: "cheese", quantity: 1 },
                  ]
                : [
                    { ingredient: "cheese", quantity: 1 },
                    { ingredient: "bread", quantity: 2 },
                  ],
          }),
        ),
      );
      const succeeded = outcomes.filter((o) => o.status === "fulfilled").length;
      for (const o of outcomes) if (o.status === "rejected") assert.equal(ConnectError.from(o.reason).code, Code.FailedPrecondition);
      assert.equal(succeeded, 4); // bread 9 / 2 per order
      assert.deepEqual(await stock(), { bread: 9 - 2 * succeeded, cheese: 5 - succeeded, vegemite: 10 });
      const rows = await orders();
      assert.equal(rows.length, 2 * succeeded);
      for (const customer of new Set(rows.map((r) => r.customer))) assert.equal(rows.filter((r) => r.customer === customer).length, 2);
    });

    it("REST: POST /v2/orders", async () => {
      const res = await request(chillybin.server.url, "POST", "/v2/orders", {
        body: JSON.stringify({
          customer: "gita",
          items: [
            { ingredient: "bread", quantity: 2 },
            { ingredient: "cheese", quantity: 1 },
          ],
        }),
        headers: { "content-type": "application/json" },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal((res.json as { ids: string[] }).ids.length, 2);
      const refused = await request(chillybin.server.url, "POST", "/v2/orders", {
        body: JSON.stringify({
          customer: "gita",
          items: [
            { ingredient: "bread", quantity: 1 },
            { ingredient: "ham", quantity: 1 },
          ],
        }),
        headers: { "content-type": "application/json" },
      });
      assert.equal(refused.status, 404);
      assert.deepEqual(await stock(), { bread: 8, cheese: 9, vegemite: 10 });
    });
  });
});
