// Which protocol a request spoke, as logs and metrics name it.
import assert from "node:assert/strict";
import { protocolOf, type Protocol } from "../../../../lib/server/observability/protocol.js";

describe("protocolOf", () => {
  const table: Array<[string | undefined, boolean, Protocol]> = [
    ["application/grpc", true, "grpc"],
    ["application/grpc+proto", true, "grpc"],
    ["Application/GRPC+json", true, "grpc"],
    ["application/grpc-web+proto", true, "grpc-web"],
    ["application/grpc-web-text", true, "grpc-web"],
    ["application/grpc", false, "grpc"],
    ["application/json", true, "connect"],
    ["application/proto", true, "connect"],
    ["application/connect+json", true, "connect"],
    [undefined, true, "connect"],
    ["application/json", false, "http"],
    [undefined, false, "http"],
  ];
  for (const [type, reachedRpc, protocol] of table) {
    it(`${type ?? "(no content type)"}${reachedRpc ? ", reached an RPC" : ""} → ${protocol}`, () => assert.equal(protocolOf(type, reachedRpc), protocol));
  }
});
