// gRPC server reflection, checked with a real reflection client: `buf curl`
// without --schema (grpcurl and Postman ask the same questions).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import * as reflection from "../../../../gen/grpc/reflection/v1/reflection_pb.js";
import { useServices, type TestChillybin, type TestJafflr } from "../../../support/services.js";

/** With @grpc/grpc-js: the names of the files reflection answers for a symbol (the symbol's own file first). */
async function filesFor(baseUrl: string, symbol: string): Promise<string[]> {
  const client = new grpc.Client(new URL(baseUrl).host, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => {
      const call = client.makeBidiStreamRequest(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        (m: reflection.ServerReflectionRequest) => Buffer.from(toBinary(reflection.ServerReflectionRequestSchema, m)),
        (b: Buffer) => fromBinary(reflection.ServerReflectionResponseSchema, b),
      );
      call.on("data", (res: reflection.ServerReflectionResponse) => {
        if (res.messageResponse.case !== "fileDescriptorResponse") return reject(new Error(`no files for ${symbol}`));
        resolve(res.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name));
        call.end();
      });
      call.on("error", reject);
      call.write(create(reflection.ServerReflectionRequestSchema, { messageRequest: { case: "fileContainingSymbol", value: symbol } }));
    });
  } finally {
    client.close();
  }
}

const BUF = "node_modules/.bin/buf";
const bufCurl = async (...args: string[]) => (await promisify(execFile)(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args])).stdout;

describe("gRPC server reflection (v1 and v1alpha)", function () {
  this.timeout(30_000);
  const services = useServices();
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  before(() => ({ chillybin, jafflr } = services));

  const listed: Array<{ service: "chillybin" | "jafflr"; protocol: string; names: string[] }> = [
    {
      service: "chillybin",
      protocol: "grpc-v1",
      names: [
        "chillybin.v1.ChillybinService",
        "chillybin.v2.ChillybinService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ],
    },
    {
      service: "chillybin",
      protocol: "grpc-v1alpha",
      names: [
        "chillybin.v1.ChillybinService",
        "chillybin.v2.ChillybinService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ],
    },
    {
      service: "jafflr",
      protocol: "grpc-v1",
      names: ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "jafflr.v1.JafflrService"],
    },
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
    const toastie = JSON.parse(
      await bufCurl("-d", '{"ingredients":["cheese"],"doneness":"DONENESS_BURNT"}', `${jafflr.server.url}/jafflr.v1.JafflrService/MakeToastie`),
    ) as { toastie: { doneness: string } };
    assert.equal(toastie.toastie.doneness, "DONENESS_BURNT");
  });

  // Clients that merge descriptors from several servers need each file under its one canonical name.
  const canonical: Array<{ symbol: string; file: string }> = [
    { symbol: "grpc.health.v1.Health", file: "grpc/health/v1/health.proto" },
    { symbol: "grpc.reflection.v1.ServerReflection", file: "grpc/reflection/v1/reflection.proto" },
    { symbol: "chillybin.v2.ChillybinService", file: "chillybin/v2/chillybin.proto" },
  ];
  for (const c of canonical) {
    it(`@grpc/grpc-js: ${c.symbol} is in ${c.file}`, async () => {
      assert.equal((await filesFor(chillybin.server.url, c.symbol))[0], c.file);
    });
  }

  it("describes the health service too", async () => {
    assert.deepEqual(JSON.parse(await bufCurl("-d", '{"service":"chillybin"}', `${jafflr.server.url}/grpc.health.v1.Health/Check`)), { status: "SERVING" });
  });
});
