// A method nobody serves is answered in the caller's protocol: gRPC and
// gRPC-Web clients get HTTP 200 with grpc-status 12 (UNIMPLEMENTED) naming
// the method, which their libraries read (grpcio reported "Received http2
// header with status: 404" for REST's 404); Connect clients get 404 with
// code unimplemented (not REST's not_found, which means "no such thing"), REST its own 404.
import assert from "node:assert/strict";
import { create, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { captureLogger } from "../support/capture-logger.js";
import { request } from "../support/http.js";
import { useServices } from "../support/services.js";
import { grpcJsUnary } from "../support/transports.js";

describe("an unknown method, in the caller's protocol", () => {
  const log = captureLogger();
  const services = useServices({ chillybinLogger: log.logger });
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

  const connectClients: Array<{ case: string; transport: (baseUrl: string) => Transport }> = [
    { case: "Connect-ES, JSON over HTTP/1.1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }) },
    { case: "Connect-ES, binary over h2c", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }) },
  ];
  for (const c of connectClients) {
    it(`${c.case}: UNIMPLEMENTED naming the method, logged as connect with the method tried`, async () => {
      // chillybin serves no jafflr API: its MakeToastie is a method nobody serves here.
      const before = log.lines.length;
      const client = createClient(JafflrService, c.transport(services.chillybin.server.url));
      const error = await client.makeToastie({ ingredients: ["cheese"] }).then(
        () => assert.fail("answered"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(error.code, Code.Unimplemented, error.message);
      assert.equal(error.rawMessage, "unknown method /jafflr.v1.JafflrService/MakeToastie: this server does not serve it");
      const line = await log.waitFor((l) => l.msg === "request" && l.rpc === "jafflr.v1.JafflrService/MakeToastie", before);
      assert.deepEqual([line?.protocol, line?.rpc, line?.code, line?.status], ["connect", "jafflr.v1.JafflrService/MakeToastie", "unimplemented", 404]);
    });
  }

  it("curl speaking Connect: 404 with code unimplemented in Connect's JSON body; REST keeps its 404 not_found", async () => {
    const connect = await request(services.chillybin.server.url, "POST", "/chillybin.v1.ChillybinService/Steal", {
      body: "{}",
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
    });
    assert.deepEqual(
      [connect.status, connect.json],
      [404, { code: "unimplemented", message: "unknown method /chillybin.v1.ChillybinService/Steal: this server does not serve it" }],
    );
    const rest = await request(services.chillybin.server.url, "GET", "/steal");
    assert.deepEqual([rest.status, (rest.json as { code: string }).code], [404, "not_found"]);
  });
});
