// gRPC server reflection, checked with a real reflection client: `buf curl`
// without --schema (grpcurl and Postman ask the same questions).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { useServices, type TestChillybin, type TestJafflr } from "../support/services.js";

const BUF = "node_modules/.bin/buf";
const bufCurl = async (...args: string[]) => (await promisify(execFile)(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args])).stdout;

describe("gRPC server reflection (v1 and v1alpha)", function () {
  this.timeout(30_000);
  const services = useServices();
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  before(() => ({ chillybin, jafflr } = services));

  const listed: Array<{ service: "chillybin" | "jafflr"; protocol: string; names: string[] }> = [
    { service: "chillybin", protocol: "grpc-v1", names: ["chillybin.v1.ChillybinService", "chillybin.v2.ChillybinService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"] },
    { service: "chillybin", protocol: "grpc-v1alpha", names: ["chillybin.v1.ChillybinService", "chillybin.v2.ChillybinService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"] },
    { service: "jafflr", protocol: "grpc-v1", names: ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "jafflr.v1.JafflrService"] },
  ];
  for (const l of listed) {
    it(`lists ${l.service}'s services over ${l.protocol}`, async () => {
      const url = (l.service === "chillybin" ? chillybin : jafflr).server.url;
      const out = await bufCurl("--reflect-protocol", l.protocol, "--list-services", url);
      assert.deepEqual(out.trim().split("\n").sort(), l.names);
    });
  }

  it("lets a client call an RPC with no schema of its own", async () => {
    const out = JSON.parse(await bufCurl("-d", '{"name":"cheese","quantity":1}', `${chillybin.server.url}/chillybin.v1.ChillybinService/Pick`)) as unknown;
    assert.deepEqual(out, { name: "cheese", remaining: 9 });
    const toastie = JSON.parse(await bufCurl("-d", '{"ingredients":["cheese"],"doneness":"DONENESS_BURNT"}', `${jafflr.server.url}/jafflr.v1.JafflrService/MakeToastie`)) as { toastie: { doneness: string } };
    assert.equal(toastie.toastie.doneness, "DONENESS_BURNT");
  });

  it("describes the health service too", async () => {
    assert.deepEqual(JSON.parse(await bufCurl("-d", '{"service":"chillybin"}', `${jafflr.server.url}/grpc.health.v1.Health/Check`)), { status: "SERVING" });
  });
});
