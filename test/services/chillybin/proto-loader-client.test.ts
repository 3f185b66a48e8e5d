// A client nobody here generated: @grpc/grpc-js loading today's proto/ at run
// time with @grpc/proto-loader, the way many gRPC users call a service. It
// writes field names from the .proto, so a renamed field breaks it even when
// the wire and JSON stay the same.
import assert from "node:assert/strict";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { useServices } from "../../support/services.js";

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;
interface V1Client extends grpc.Client {
  Pick(request: { name: string; quantity: number }, callback: Callback<{ name: string; remaining: number }>): void;
}

describe("a @grpc/grpc-js client that loads proto/ with proto-loader", () => {
  const services = useServices();

  it('picks with v1\'s field names as the .proto spells them ({name: "cheese"})', async () => {
    await services.chillybin.setStock({ cheese: 10 });
    const definition = protoLoader.loadSync("chillybin/v1/chillybin.proto", {
      // What proto/ imports: google/api from google-proto-files, buf/validate staged by npm ci.
      includeDirs: [path.resolve("proto"), path.resolve("node_modules/google-proto-files"), path.resolve("node_modules/.staged-proto")],
      keepCase: true,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      chillybin: { v1: { ChillybinService: new (address: string, credentials: grpc.ChannelCredentials) => V1Client } };
    };
    const client = new pkg.chillybin.v1.ChillybinService(new URL(services.chillybin.server.url).host, grpc.credentials.createInsecure());
    try {
      const picked = await new Promise<{ name: string; remaining: number }>((resolve, reject) =>
        client.Pick({ name: "cheese", quantity: 1 }, (error, response) => (error ? reject(error) : resolve(response!))),
      );
      assert.deepEqual({ name: picked.name, remaining: picked.remaining }, { name: "cheese", remaining: 9 });
    } finally {
      client.close();
    }
  });
});
