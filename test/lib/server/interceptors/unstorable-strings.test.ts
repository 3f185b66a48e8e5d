// NUL (U+0000) in any string field: PostgreSQL's text cannot hold it, so
// without a check the call fails deep in a query as a 500. It is the caller's
// mistake: INVALID_ARGUMENT naming the field, on every protocol, nothing taken.
import assert from "node:assert/strict";
import { create, type DescMessage, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "../../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService, MakeToastieRequestSchema } from "../../../../gen/jafflr/v1/jafflr_pb.js";
import { GetStockResponseSchema } from "../../../../gen/chillybin/v1/chillybin_pb.js";
import { firstUnstorableString } from "../../../../lib/server/interceptors/unstorable-strings.js";
import { useServices } from "../../../support/services.js";
import { grpcJsUnary, TRANSPORTS } from "../../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

interface Case {
  case: string;
  service: "chillybin" | "jafflr";
  desc: DescService;
  method: string;
  input: DescMessage;
  request: MessageInitShape<DescMessage>;
  field: string;
}

const cases: Case[] = [
  {
    case: "v1 Pick, in the ingredient",
    service: "chillybin",
    desc: v1.ChillybinService,
    method: "Pick",
    input: v1.PickRequestSchema,
    request: { name: "cheese\u0000", quantity: 1 },
    field: "name",
  },
  {
    case: "v2 Pick, in the customer",
    service: "chillybin",
    desc: v2.ChillybinService,
    method: "Pick",
    input: v2.PickRequestSchema,
    request: { ingredient: "cheese", quantity: 1, customer: "a\u0000b" },
    field: "customer",
  },
  {
    case: "v2 PickOrder, in an item",
    service: "chillybin",
    desc: v2.ChillybinService,
    method: "PickOrder",
    input: v2.PickOrderRequestSchema,
    request: {
      customer: "kim",
      items: [
        { ingredient: "bread", quantity: 1 },
        { ingredient: "che\u0000ese", quantity: 1 },
      ],
    },
    field: "items[1].ingredient",
  },
  {
    case: "MakeToastie, in an ingredient",
    service: "jafflr",
    desc: JafflrService,
    method: "MakeToastie",
    input: MakeToastieRequestSchema,
    request: { ingredients: ["cheese", "ham\u0000"] },
    field: "ingredients[1]",
  },
];

describe("NUL in a string field is INVALID_ARGUMENT naming the field, on every protocol", () => {
  const services = useServices();
  beforeEach(() => services.chillybin.setStock(DEFAULT));
  afterEach(async () => {
    assert.deepEqual(await services.chillybin.stock(), DEFAULT, "nothing taken");
    assert.deepEqual(await services.chillybin.orders(), [], "no order written");
  });

  for (const c of cases) {
    for (const transport of TRANSPORTS) {
      it(`${c.case} (${transport.name})`, async () => {
        const url = services[c.service].server.url;
        const client = createClient(c.desc, transport.make(url)) as unknown as Record<string, (req: unknown) => Promise<unknown>>;
        const method = c.desc.methods.find((m) => m.name === c.method)!;
        const error = await client[method.localName]!(create(c.input, c.request)).then(
          () => assert.fail("accepted"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, Code.InvalidArgument, error.rawMessage);
        assert.equal(error.rawMessage, `${c.field} must not contain a NUL character (U+0000)`);
      });
    }
    it(`${c.case} (@grpc/grpc-js)`, async () => {
      const url = new URL(services[c.service].server.url);
      const error = await grpcJsUnary(url.host, c.desc, c.method, c.input, GetStockResponseSchema, create(c.input, c.request)).then(
        () => assert.fail("accepted"),
        (e: grpc.ServiceError) => e,
      );
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(error.details, `${c.field} must not contain a NUL character (U+0000)`);
    });
  }
});

describe("firstUnstorableString", () => {
  const table: Array<{ case: string; schema: DescMessage; message: MessageInitShape<DescMessage>; found: string | undefined }> = [
    { case: "clean strings", schema: v2.PickOrderRequestSchema, message: { customer: "kim", items: [{ ingredient: "bread", quantity: 1 }] }, found: undefined },
    { case: "a scalar", schema: v2.PickOrderRequestSchema, message: { customer: "\u0000" }, found: "customer" },
    {
      case: "a nested message in a list",
      schema: v2.PickOrderRequestSchema,
      message: { customer: "kim", items: [{ ingredient: "a" }, { ingredient: "b" }, { ingredient: "c\u0000" }] },
      found: "items[2].ingredient",
    },
    { case: "a repeated string", schema: MakeToastieRequestSchema, message: { ingredients: ["\u0000"] }, found: "ingredients[0]" },
    { case: "the deprecated alias too", schema: MakeToastieRequestSchema, message: { ingredients: ["cheese"], i: ["x", "y\u0000"] }, found: "i[1]" },
    { case: "a map key", schema: GetStockResponseSchema, message: { stock: { "a\u0000": 1 } }, found: "stock (a key)" },
    { case: "other control characters are storable", schema: v2.PickOrderRequestSchema, message: { customer: "tab\there" }, found: undefined },
  ];
  for (const t of table) {
    it(`${t.case} → ${String(t.found)}`, () => {
      assert.equal(firstUnstorableString(reflect(t.schema, create(t.schema, t.message))), t.found);
    });
  }
});
