import assert from "node:assert/strict";
import * as http from "node:http";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import {
  ChillybinService,
  GetStockRequestSchema,
  GetStockResponseSchema,
  PickRequestSchema,
  PickResponseSchema,
} from "../../../gen/chillybin/v1/chillybin_pb.js";
import { VERSION_HEADER } from "../../../lib/server/index.js";
import { startChillybin, TEST_VERSION, type TestChillybin } from "../../support/services.js";
import { grpcJsUnary, TRANSPORTS } from "../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

describe("chillybin", () => {
  let chillybin: TestChillybin;
  let client: Client<typeof ChillybinService>;

  before(async () => {
    chillybin = await startChillybin();
    client = createClient(ChillybinService, TRANSPORTS[0]!.make(chillybin.server.url));
  });
  after(() => chillybin?.stop());
  beforeEach(() => client.restock({}));

  describe("Pick", () => {
    it("takes stock and answers what is left", async () => {
      const res = await client.pick({ name: "cheese", quantity: 3 });
      assert.deepEqual([res.name, res.remaining], ["cheese", 7]);
      assert.deepEqual((await client.getStock({})).stock, { ...DEFAULT, cheese: 7 });
    });

    it("can take the last of an ingredient", async () => {
      const res = await client.pick({ name: "vegemite", quantity: 10 });
      assert.equal(res.remaining, 0);
    });

    const refused: Array<{ case: string; name: string; quantity: number; code: Code; message: RegExp }> = [
      { case: "empty name", name: "", quantity: 1, code: Code.InvalidArgument, message: /^name: must be at least 1 characters \[string\.min_len\]/ },
      { case: "blank name", name: "  ", quantity: 1, code: Code.InvalidArgument, message: /^name: does not match regex pattern .* \[string\.pattern\]$/ },
      {
        case: "zero quantity",
        name: "cheese",
        quantity: 0,
        code: Code.InvalidArgument,
        message: /^quantity: must be greater than or equal to 1 \[int32\.gte\]$/,
      },
      {
        case: "negative quantity (the original added stock)",
        name: "cheese",
        quantity: -5,
        code: Code.InvalidArgument,
        message: /^quantity: must be greater than or equal to 1 \[int32\.gte\]$/,
      },
      { case: "unknown ingredient", name: "ham", quantity: 1, code: Code.NotFound, message: /unknown ingredient "ham"/ },
      { case: "more than in stock", name: "cheese", quantity: 11, code: Code.FailedPrecondition, message: /not enough cheese: wanted 11, 10 in stock/ },
      { case: "int32 max", name: "bread", quantity: 2147483647, code: Code.FailedPrecondition, message: /not enough bread/ },
    ];
    for (const c of refused) {
      it(`refuses ${c.case} with ${Code[c.code]} and changes nothing`, async () => {
        const error = await client.pick({ name: c.name, quantity: c.quantity }).then(
          () => assert.fail("the pick was accepted"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, c.code);
        assert.match(error.rawMessage, c.message);
        assert.deepEqual((await client.getStock({})).stock, DEFAULT);
      });
    }

    it("refuses a quantity beyond int32 in JSON with INVALID_ARGUMENT naming the field", async () => {
      const { status, body } = await postJson(chillybin.server.url, "/chillybin.v1.ChillybinService/Pick", {
        name: "cheese",
        quantity: 99999999999,
      });
      assert.equal(status, 400);
      assert.equal(body.code, "invalid_argument");
      assert.match(String(body.message), /quantity/);
      assert.deepEqual((await client.getStock({})).stock, DEFAULT);
    });
  });

  describe("concurrent picks never oversell", () => {
    const table = [
      { stock: 7, pickers: 25, transport: 0 },
      { stock: 20, pickers: 20, transport: 1 },
      { stock: 3, pickers: 40, transport: 2 },
    ];
    for (const t of table) {
      it(`${t.pickers} parallel picks against stock ${t.stock} over ${TRANSPORTS[t.transport]!.name}`, async () => {
        await chillybin.setStock({ cheese: t.stock });
        const parallel = createClient(ChillybinService, TRANSPORTS[t.transport]!.make(chillybin.server.url));
        const outcomes = await Promise.allSettled(Array.from({ length: t.pickers }, () => parallel.pick({ name: "cheese", quantity: 1 })));
        const successes = outcomes.filter((o) => o.status === "fulfilled").length;
        for (const o of outcomes) {
          if (o.status === "rejected") assert.equal(ConnectError.from(o.reason).code, Code.FailedPrecondition);
        }
        assert.equal(successes, Math.min(t.pickers, t.stock));
        assert.equal((await client.getStock({})).stock.cheese, t.stock - successes);
      });
    }
  });

  describe("GetStock and Restock", () => {
    it("restock puts 10 of each back and answers the stock", async () => {
      await client.pick({ name: "bread", quantity: 4 });
      await chillybin.setStock({ cheese: 0 });
      const res = await client.restock({});
      assert.deepEqual(res.stock, DEFAULT);
      assert.deepEqual((await client.getStock({})).stock, DEFAULT);
    });
  });

  describe("one port, every protocol", () => {
    for (const transport of TRANSPORTS) {
      it(`serves ${transport.name}`, async () => {
        const over = createClient(ChillybinService, transport.make(chillybin.server.url));
        const picked = await over.pick({ name: "bread", quantity: 2 });
        assert.equal(picked.remaining, 8);
        assert.deepEqual((await over.getStock({})).stock, { ...DEFAULT, bread: 8 });
        const error = await over.pick({ name: "ham", quantity: 1 }).catch((e: unknown) => ConnectError.from(e));
        assert.ok(error instanceof ConnectError);
        assert.equal(error.code, Code.NotFound);
      });
    }

    it("serves @grpc/grpc-js over h2c, with gRPC status codes", async () => {
      const address = new URL(chillybin.server.url).host;
      const res = await grpcJsUnary(
        address,
        ChillybinService,
        "Pick",
        PickRequestSchema,
        PickResponseSchema,
        create(PickRequestSchema, { name: "cheese", quantity: 1 }),
      );
      assert.equal(res.remaining, 9);
      const stock = await grpcJsUnary(address, ChillybinService, "GetStock", GetStockRequestSchema, GetStockResponseSchema, create(GetStockRequestSchema));
      assert.deepEqual(stock.stock, { ...DEFAULT, cheese: 9 });
      const error = await grpcJsUnary(
        address,
        ChillybinService,
        "Pick",
        PickRequestSchema,
        PickResponseSchema,
        create(PickRequestSchema, { name: "cheese", quantity: 50 }),
      ).then(
        () => assert.fail("accepted"),
        (e: grpc.ServiceError) => e,
      );
      assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
      assert.match(error.details, /not enough cheese/);
    });

    it("serves Connect JSON to a plain HTTP/1.1 client (curl) and names its version", async () => {
      const { status, body, headers } = await postJson(chillybin.server.url, "/chillybin.v1.ChillybinService/Pick", {
        name: "cheese",
        quantity: 1,
      });
      assert.equal(status, 200);
      assert.deepEqual(body, { name: "cheese", remaining: 9 });
      assert.equal(headers[VERSION_HEADER], TEST_VERSION);
      const notFound = await postJson(chillybin.server.url, "/chillybin.v1.ChillybinService/Pick", { name: "ham", quantity: 1 });
      assert.equal(notFound.status, 404);
      assert.deepEqual(notFound.body, {
        code: "not_found",
        message: 'unknown ingredient "ham"',
        details: [{ type: "chillybin.v2.StockRefusal", value: "CgNoYW0QARgB", debug: { ingredient: "ham", reason: "REASON_UNKNOWN_INGREDIENT", wanted: 1 } }],
      });
    });
  });
});

/** A POST with a JSON body over plain HTTP/1.1, as curl sends it. */
function postJson(
  baseUrl: string,
  path: string,
  payload: unknown,
): Promise<{ status: number; body: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(payload));
  });
}
