// Refusals carry a typed StockRefusal detail on every protocol, from
// chillybin through jafflr to its callers; jafflr reads the detail, never the
// message, so chillybin may reword its messages without breaking jafflr.
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { StockRefusal_Reason, StockRefusalSchema } from "../../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService, MakeToastieRequestSchema } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { takeOrder } from "../../../services/jafflr/picking.js";
import type { ChillybinClients } from "../../../services/jafflr/chillybin-client.js";
import { request } from "../../support/http.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

describe("refusals carry a StockRefusal detail", () => {
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
  beforeEach(() => chillybin.setStock({ bread: 10, cheese: 0 }));

  const expected = { ingredient: "cheese", reason: StockRefusal_Reason.NOT_ENOUGH, wanted: 1, available: 0 };
  for (const transport of [TRANSPORTS[0]!, TRANSPORTS[2]!, TRANSPORTS[3]!]) {
    it(`${transport.name}: chillybin's detail reaches jafflr's caller`, async () => {
      const error = await createClient(JafflrService, transport.make(jafflr.server.url))
        .makeToastie({ ingredients: ["cheese"], customer: "kim" })
        .then(
          () => assert.fail("made"),
          (e: unknown) => ConnectError.from(e),
        );
      assert.equal(error.code, Code.FailedPrecondition);
      const [detail] = error.findDetails(StockRefusalSchema);
      assert.deepEqual({ ingredient: detail?.ingredient, reason: detail?.reason, wanted: detail?.wanted, available: detail?.available }, expected);
    });
  }

  it("REST: the detail in the JSON body, with its fields readable (debug)", async () => {
    const res = await request(jafflr.server.url, "GET", "/toastie?i=cheese&customer=kim");
    assert.equal(res.status, 400);
    const [detail] = (res.json as { details: Array<{ type: string; debug: unknown }> }).details;
    assert.equal(detail?.type, "chillybin.v2.StockRefusal");
    assert.deepEqual(detail?.debug, { ingredient: "cheese", reason: "REASON_NOT_ENOUGH", wanted: 1 });
  });

  it("@grpc/grpc-js: in grpc-status-details-bin", async () => {
    const client = new grpc.Client(new URL(jafflr.server.url).host, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest(
          "/jafflr.v1.JafflrService/MakeToastie",
          () => Buffer.from(toBinary(MakeToastieRequestSchema, create(MakeToastieRequestSchema, { ingredients: ["cheese"], customer: "kim" }))),
          (b: Buffer) => b,
          {},
          (e) => resolve(e!),
        ),
      );
      assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
      assert.ok(error.metadata.get("grpc-status-details-bin").length > 0, "grpc-status-details-bin is sent");
    } finally {
      client.close();
    }
  });
});

describe("jafflr reads which ingredient was refused from the detail, not the message", () => {
  const refusedWith = (message: string, ingredient: string): ChillybinClients =>
    ({
      v2: {
        pickOrder: async () => {
          throw new ConnectError(message, Code.FailedPrecondition, undefined, [
            { desc: StockRefusalSchema, value: { ingredient, reason: StockRefusal_Reason.NOT_ENOUGH, wanted: 1 } },
          ]);
        },
      },
    }) as unknown as ChillybinClients;
  const plan = {
    picks: new Map([
      ["bread", 2],
      ["ham", 1],
      ["cheese", 1],
    ]),
    customer: "kim",
    reference: "toastie, light",
  };

  it("a reworded message that names no ingredient", async () => {
    const error = await takeOrder(refusedWith("sorry, we are out", "ham"), plan, {}).then(
      () => assert.fail("picked"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(error.rawMessage, "cannot pick ham: sorry, we are out");
  });

  it("a message that names another ingredient than the one refused", async () => {
    const error = await takeOrder(refusedWith("no cheese-flavoured ham left", "ham"), plan, {}).then(
      () => assert.fail("picked"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(error.rawMessage, "cannot pick ham: no cheese-flavoured ham left");
  });
});
