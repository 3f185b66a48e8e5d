// A method nobody serves is answered in the caller's protocol: gRPC and
// gRPC-Web clients get HTTP 200 with grpc-status 12 (UNIMPLEMENTED) naming
// the method, which their libraries read (grpcio reported "Received http2
// header with status: 404" for REST's 404); Connect keeps Connect's 404
// unimplemented, REST its own 404.
import assert from "node:assert/strict";
import { create, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import { request } from "../support/http.js";
import { useServices } from "../support/services.js";
import { grpcJsUnary } from "../support/transports.js";

describe("an unknown method, in the caller's protocol", () => {
  const services = useServices();
  const address = () => new URL(services.chillybin.server.url).host;
  const pick = create(v1.PickRequestSchema, { name: "cheese", quantity: 1 });

  const grpcJs: Array<{ case: string; service: DescService; method: string; path: string }> = [
    { case: "an unknown method of a served service", service: v1.ChillybinService, method: "Steal", path: "/chillybin.v1.ChillybinService/Steal" },
    { case: "an unknown service", service: { typeName: "chillybin.v9.Larder" } as DescService, method: "Pick", path: "/chillybin.v9.Larder/Pick" },
  ];
  for (const c of grpcJs) {
    it(`@grpc/grpc-js, ${c.case}: UNIMPLEMENTED naming the method`, async () => {
      const error = await grpcJsUnary(address(), c.service, c.method, v1.PickRequestSchema, v1.PickResponseSchema, pick).then(
        () => assert.fail("answered"),
        (e: grpc.ServiceError) => e,
      );
      assert.equal(error.code, grpc.status.UNIMPLEMENTED, error.details);
      assert.equal(error.details, `unknown method ${c.path}: this server does not serve it`);
    });
  }

  it("gRPC-Web: HTTP 200 with grpc-status 12 in a trailers-only answer", async () => {
    const res = await request(services.chillybin.server.url, "POST", "/chillybin.v1.ChillybinService/Steal", {
      body: new Uint8Array(5),
      headers: { "content-type": "application/grpc-web+proto" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers["grpc-status"], "12");
    assert.equal(res.headers["content-type"], "application/grpc-web+proto");
  });

  it("Connect keeps Connect's 404 unimplemented, REST its 404", async () => {
    const connect = await request(services.chillybin.server.url, "POST", "/chillybin.v1.ChillybinService/Steal", {
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(connect.status, 404);
    const rest = await request(services.chillybin.server.url, "GET", "/steal");
    assert.deepEqual([rest.status, (rest.json as { code: string }).code], [404, "not_found"]);
  });
});
