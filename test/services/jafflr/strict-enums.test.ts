// An unknown doneness is refused on every protocol, before anything is taken:
// as a name in JSON (Connect-ES would otherwise ignore it, and the toastie
// came out LIGHT) and as a number in binary (an open enum keeps it).
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { type Doneness, JafflrService, MakeToastieRequestSchema } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { request } from "../../support/http.js";
import { connectJsonCall, grpcRawCall } from "../../support/raw-calls.js";
import { useServices } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };
const MAKE_TOASTIE = "/jafflr.v1.JafflrService/MakeToastie";
const CHARCOAL = JSON.stringify({ ingredients: ["cheese"], doneness: "charcoal" });

describe("an unknown doneness is INVALID_ARGUMENT on every protocol, and takes nothing", () => {
  const services = useServices();
  beforeEach(() => services.chillybin.setStock(DEFAULT));
  afterEach(async () => assert.deepEqual(await services.chillybin.stock(), DEFAULT, "nothing taken"));
  const url = () => services.jafflr.server.url;

  // Each answers the code (a name, or gRPC's number) and the message.
  const cases: Array<{ case: string; answer: () => Promise<{ code: string; message: string }> }> = [
    {
      case: "Connect JSON, an unknown name",
      answer: async () => (await connectJsonCall(url(), MAKE_TOASTIE, JSON.parse(CHARCOAL))).json as { code: string; message: string },
    },
    {
      case: "gRPC with JSON (application/grpc+json), an unknown name",
      answer: async () => {
        const res = await grpcRawCall(url(), MAKE_TOASTIE, new TextEncoder().encode(CHARCOAL), { "content-type": "application/grpc+json" });
        return { code: String(res.status), message: res.message };
      },
    },
    {
      case: "gRPC-Web with JSON, an unknown name",
      answer: async () => {
        const res = await request(url(), "POST", MAKE_TOASTIE, {
          body: encodeEnvelope(0, new TextEncoder().encode(CHARCOAL)),
          headers: { "content-type": "application/grpc-web+json" },
        });
        const trailer = res.bytes.toString("latin1");
        return { code: /grpc-status:\s*(\d+)/.exec(trailer)?.[1] ?? "none", message: decodeURIComponent(/grpc-message:\s*([^\r]*)/.exec(trailer)?.[1] ?? "") };
      },
    },
    {
      case: "REST, an unknown name",
      answer: async () => (await request(url(), "GET", "/toastie?i=cheese&doneness=charcoal")).json as { code: string; message: string },
    },
  ];
  for (const c of cases) {
    it(`${c.case}: names the field`, async () => {
      const { code, message } = await c.answer();
      assert.ok(["invalid_argument", String(Code.InvalidArgument)].includes(code), `answered ${code}: ${message}`);
      assert.match(message, /doneness/);
      assert.match(message, /charcoal/);
    });
  }

  for (const transport of [TRANSPORTS[1]!, TRANSPORTS[2]!]) {
    it(`${transport.name}, an unknown number: names the field`, async () => {
      const client = createClient(JafflrService, transport.make(url()));
      const error = await client.makeToastie(create(MakeToastieRequestSchema, { ingredients: ["cheese"], doneness: 9 as Doneness })).then(
        () => assert.fail("made"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(error.code, Code.InvalidArgument);
      assert.equal(error.rawMessage, "doneness: value must be one of the defined enum values [enum.defined_only]");
    });
  }
});
