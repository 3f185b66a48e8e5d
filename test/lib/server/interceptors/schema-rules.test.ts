// The rules proto/ states with buf/validate annotations hold on every
// protocol: a request that breaks one is INVALID_ARGUMENT before any handler
// runs, with a message naming the field and a buf.validate.Violations detail
// listing every violation, and it changes nothing.
import assert from "node:assert/strict";
import { create, toBinary, type DescMessage, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { type FieldPath, ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "../../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService, MakeToastieRequestSchema } from "../../../../gen/jafflr/v1/jafflr_pb.js";
import { schemaRulesCompiled } from "../../../../lib/server/interceptors/schema-rules.js";
import { request } from "../../../support/http.js";
import { useServices } from "../../../support/services.js";
import { TRANSPORTS } from "../../../support/transports.js";

/** A violation as `field path → rule id`: "items[1].quantity int32.gte"; a message-level rule has no path. */
function violationKey(field: FieldPath | undefined, ruleId: string): string {
  const path = (field?.elements ?? []).map((e) => e.fieldName + (e.subscript.case === "index" ? `[${e.subscript.value}]` : "")).join(".");
  return path ? `${path} ${ruleId}` : ruleId;
}

interface Case<S extends DescService = DescService, I extends DescMessage = DescMessage> {
  case: string;
  service: "chillybin" | "jafflr";
  rpc: [S, string, I];
  request: MessageInitShape<I>;
  /** The same request through the REST front door. */
  rest?: { method: string; path: string; body?: unknown };
  /** Every violation, as violationKey writes it. */
  violations: string[];
  /** The error message: the first violation, naming its field. */
  message: RegExp;
}

const PICK_V1: Case["rpc"] = [v1.ChillybinService, "pick", v1.PickRequestSchema];
const PICK_V2: Case["rpc"] = [v2.ChillybinService, "pick", v2.PickRequestSchema];
const PICK_ORDER: Case["rpc"] = [v2.ChillybinService, "pickOrder", v2.PickOrderRequestSchema];
const MAKE_TOASTIE: Case["rpc"] = [JafflrService, "makeToastie", MakeToastieRequestSchema];

const BAD_ORDER = {
  customer: "gita",
  items: [
    { ingredient: "cheese", quantity: 1 },
    { ingredient: "bread", quantity: 0 },
    { ingredient: "cheese", quantity: 2 },
  ],
  reference: "r".repeat(201),
};

const cases: Case[] = [
  {
    case: "v1 Pick: an empty name and quantity 0",
    service: "chillybin",
    rpc: PICK_V1,
    request: { name: "", quantity: 0 },
    rest: { method: "GET", path: "/pick?name=&quantity=0" },
    violations: ["name string.min_len", "name string.pattern", "quantity int32.gte"],
    message: /^name: must be at least 1 characters \[string\.min_len\], and 2 more violations$/,
  },
  {
    case: "v2 Pick: a name with a space at its end, a blank customer, a negative quantity",
    service: "chillybin",
    rpc: PICK_V2,
    request: { ingredient: "cheese ", quantity: -1, customer: "  " },
    rest: { method: "POST", path: "/v2/pick", body: { ingredient: "cheese ", quantity: -1, customer: "  " } },
    violations: ["ingredient string.pattern", "quantity int32.gte", "customer string.pattern"],
    message: /^ingredient: does not match regex pattern .* \[string\.pattern\], and 2 more violations$/,
  },
  {
    case: "v2 Pick: a name over 64 characters, a customer over 100",
    service: "chillybin",
    rpc: PICK_V2,
    request: { ingredient: "a".repeat(65), quantity: 1, customer: "c".repeat(101) },
    violations: ["ingredient string.max_len", "customer string.max_len"],
    message: /^ingredient: must be at most 64 characters \[string\.max_len\], and 1 more violation$/,
  },
  {
    case: "v2 PickOrder: an ingredient listed twice, a bad quantity, a reference over 200 characters",
    service: "chillybin",
    rpc: PICK_ORDER,
    request: BAD_ORDER,
    rest: { method: "POST", path: "/v2/orders", body: BAD_ORDER },
    violations: ["items items.unique_ingredients", "items[1].quantity int32.gte", "reference string.max_len"],
    message: /^items: cheese is listed twice: give each ingredient once, with its quantity \[items\.unique_ingredients\], and 2 more violations$/,
  },
  {
    case: "v2 PickOrder: 33 items",
    service: "chillybin",
    rpc: PICK_ORDER,
    request: { customer: "gita", items: Array.from({ length: 33 }, (_, i) => ({ ingredient: `filling ${i}`, quantity: 1 })) },
    violations: ["items repeated.max_items"],
    message: /^items: must contain no more than 32 item\(s\) \[repeated\.max_items\]$/,
  },
  {
    case: "MakeToastie: no cheese",
    service: "jafflr",
    rpc: MAKE_TOASTIE,
    request: { ingredients: ["ham"] },
    rest: { method: "GET", path: "/toastie?i=ham" },
    violations: ["toastie.has_cheese"],
    message: /^ingredients: a toastie needs cheese \[toastie\.has_cheese\]$/,
  },
  {
    case: "MakeToastie: nothing at all",
    service: "jafflr",
    rpc: MAKE_TOASTIE,
    request: {},
    rest: { method: "POST", path: "/toastie" },
    violations: ["toastie.has_fillings"],
    message: /^ingredients: a toastie needs at least one ingredient \[toastie\.has_fillings\]$/,
  },
  {
    case: "MakeToastie: 17 fillings, one of them blank, for a customer over 100 characters",
    service: "jafflr",
    rpc: MAKE_TOASTIE,
    request: { ingredients: ["cheese", " ", ...Array<string>(15).fill("ham")], customer: "k".repeat(101) },
    violations: ["ingredients repeated.max_items", "ingredients[1] string.pattern", "customer string.max_len"],
    message: /^ingredients: must contain no more than 16 item\(s\) \[repeated\.max_items\], and 2 more violations$/,
  },
  {
    case: "MakeToastie: a doneness this version does not know",
    service: "jafflr",
    rpc: MAKE_TOASTIE,
    request: { ingredients: ["cheese"], doneness: 9 },
    violations: ["doneness enum.defined_only"],
    message: /^doneness: value must be one of the defined enum values \[enum\.defined_only\]$/,
  },
];

describe("the schema's rules (buf/validate annotations), on every protocol", function () {
  this.timeout(30_000);
  const services = useServices();
  const STOCK = { bread: 10, cheese: 10, ham: 10, vegemite: 10 };
  const urlOf = (c: Case) => services[c.service].server.url;
  beforeEach(() => services.chillybin.setStock(STOCK));
  afterEach(async () => {
    assert.deepEqual(await services.chillybin.stock(), STOCK, "a refused request takes nothing");
    assert.deepEqual(await services.chillybin.orders(), [], "and records no order");
  });

  for (const c of cases) {
    describe(c.case, () => {
      for (const transport of TRANSPORTS) {
        it(`${transport.name}: INVALID_ARGUMENT naming the field, every violation in a buf.validate.Violations detail`, async () => {
          const [service, method] = c.rpc;
          // One table for three RPCs: the client is called by method name.
          const client = createClient(service, transport.make(urlOf(c))) as unknown as Record<string, (req: unknown) => Promise<unknown>>;
          const error = await client[method]!(c.request).then(
            () => assert.fail("accepted"),
            (e: unknown) => ConnectError.from(e),
          );
          assert.equal(error.code, Code.InvalidArgument);
          assert.match(error.rawMessage, c.message);
          const [detail] = error.findDetails(ViolationsSchema);
          assert.deepEqual(
            detail?.violations.map((v) => violationKey(v.field, v.ruleId)),
            c.violations,
          );
        });
      }

      it("@grpc/grpc-js: status 3 (INVALID_ARGUMENT), the message, the detail in grpc-status-details-bin", async () => {
        const [service, , input] = c.rpc;
        const rpc = service.methods.find((m) => m.localName === c.rpc[1])!;
        const client = new grpc.Client(new URL(urlOf(c)).host, grpc.credentials.createInsecure());
        try {
          const error = await new Promise<grpc.ServiceError>((resolve, reject) =>
            client.makeUnaryRequest(
              `/${service.typeName}/${rpc.name}`,
              () => Buffer.from(toBinary(input, create(input, c.request))),
              (b: Buffer) => b,
              {},
              (e) => (e ? resolve(e) : reject(new Error("accepted"))),
            ),
          );
          assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
          assert.match(error.details, c.message);
          const [statusDetails] = error.metadata.get("grpc-status-details-bin") as Buffer[];
          assert.ok(statusDetails?.includes("buf.validate.Violations"), "a google.rpc.Status holding a buf.validate.Violations");
        } finally {
          client.close();
        }
      });

      if (c.rest) {
        const rest = c.rest;
        it(`REST ${rest.method} ${rest.path.split("?")[0]}: 400, the detail in the JSON body with its violations readable`, async () => {
          const body = rest.body === undefined ? undefined : JSON.stringify(rest.body);
          const res = await request(urlOf(c), rest.method, rest.path, { body, headers: body ? { "content-type": "application/json" } : {} });
          assert.equal(res.status, 400, res.text);
          const json = res.json as { code: string; message: string; details: Array<{ type: string; debug?: { violations: unknown[] } }> };
          assert.equal(json.code, "invalid_argument");
          assert.match(json.message, c.message);
          const detail = json.details.find((d) => d.type === "buf.validate.Violations");
          assert.equal(detail?.debug?.violations.length, c.violations.length, JSON.stringify(detail));
        });
      }
    });
  }

  describe("names the rules allow reach the stock (no ingredient by that name: NOT_FOUND)", () => {
    for (const name of ["jalapeño", "crème fraîche", "salt-and-pepper", "granny's relish", "Cheese", "7 spice"]) {
      it(name, async () => {
        const error = await createClient(v2.ChillybinService, TRANSPORTS[0]!.make(services.chillybin.server.url))
          .pick({ ingredient: name, quantity: 1, customer: "gita" })
          .then(
            () => assert.fail("picked"),
            (e: unknown) => ConnectError.from(e),
          );
        assert.equal(error.code, Code.NotFound, error.rawMessage);
      });
    }
  });
});

describe("the schema's rules are compiled before a server listens", () => {
  const services = useServices();
  it("for the request of every RPC both services serve, so no first request pays for it", () => {
    const rpcs = [v1.ChillybinService, v2.ChillybinService, JafflrService].flatMap((s) => s.methods);
    assert.ok(services.jafflr.server.url);
    assert.deepEqual(
      rpcs.filter((m) => !schemaRulesCompiled(m.input.typeName)).map((m) => m.input.typeName),
      [],
    );
  });
});
