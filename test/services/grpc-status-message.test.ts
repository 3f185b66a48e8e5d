// A gRPC status message reaches @grpc/grpc-js (which decodes grpc-message with
// decodeURI) exactly as written: encoded the way the gRPC spec says, not with
// encodeURIComponent, which would leave ":" and "," escaped for its users.
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { grpcPercentEncode } from "../../lib/server/rpc/grpc-message-encoding.js";
import { useServices } from "../support/services.js";
import { grpcJsUnary } from "../support/transports.js";

describe("gRPC status messages", () => {
  const services = useServices();

  it("@grpc/grpc-js reads a refusal as chillybin wrote it", async () => {
    await services.chillybin.setStock({ cheese: 10 });
    const error = await grpcJsUnary(
      new URL(services.chillybin.server.url).host,
      v2.ChillybinService,
      "Pick",
      v2.PickRequestSchema,
      v2.PickResponseSchema,
      create(v2.PickRequestSchema, { ingredient: "cheese", quantity: 11, customer: "kim" }),
    ).then(
      () => assert.fail("accepted"),
      (e: grpc.ServiceError) => e,
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(error.details, "not enough cheese: wanted 11, 10 in stock");
  });

  const table: Array<[string, string]> = [
    ["not enough cheese: wanted 11, 10 in stock", "not enough cheese: wanted 11, 10 in stock"],
    ["100% cheese", "100%25 cheese"],
    ["line\nbreak", "line%0Abreak"],
    ["café", "caf%C3%A9"],
    ["U+0000 / a?b#c", "U+0000 / a?b#c"],
  ];
  for (const [message, encoded] of table) {
    it(`encodes ${JSON.stringify(message)} as ${JSON.stringify(encoded)}, which decodeURIComponent reads back`, () => {
      assert.equal(grpcPercentEncode(message), encoded);
      assert.equal(decodeURIComponent(encoded), message);
    });
  }
});
