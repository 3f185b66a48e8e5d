// A requestGate given to serve() guards every path a call can take: Connect's
// handlers and the direct unary paths (gRPC, gRPC-Web, Connect unary, REST)
// alike, with the direct paths on and off. A refused call runs nothing and
// takes nothing, and is logged with its RPC and code.
import { ALL_DIRECT_PATHS, NO_DIRECT_PATHS } from "../../../lib/direct-paths.js";
import assert from "node:assert/strict";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import { serve, type RunningServer } from "../../../lib/server/index.js";
import { composeChillybin } from "../../../services/chillybin/chillybin-server.js";
import { chillybinErrorCodes, chillybinRoutes } from "../../../services/chillybin/service.js";
import { captureLogger } from "../../support/capture-logger.js";
import { request } from "../../support/http.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";
import { grpcJsUnary } from "../../support/transports.js";

const PASS = "x-let-me-in";

describe("serve({ requestGate }) guards every path", function () {
  this.timeout(30_000);
  for (const directUnary of [true, false]) {
    describe(`direct unary paths ${directUnary ? "on" : "off"}`, () => {
      const log = captureLogger();
      let chillybin: TestChillybin;
      let server: RunningServer;
      before(async () => {
        chillybin = await startChillybin();
        await chillybin.server.close();
        server = await serve({
          routes: chillybinRoutes(composeChillybin(chillybin.db)),
          errorCodes: chillybinErrorCodes,
          port: 0,
          version: "gate",
          logger: log.logger,
          directPaths: directUnary ? ALL_DIRECT_PATHS : NO_DIRECT_PATHS,
          requestGate: (context) => {
            if (context.requestHeader.get(PASS) !== "yes") throw new ConnectError("no entry without the pass", Code.PermissionDenied);
          },
        });
        await chillybin.setStock({ cheese: 10 });
      });
      after(async () => {
        await server?.close();
        await chillybin?.database.drop();
      });

      const pick = { name: "cheese", quantity: 1 };
      const clients: Array<{ name: string; transport: (url: string) => Transport }> = [
        { name: "Connect JSON over HTTP/1.1", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }) },
        { name: "Connect binary over h2c", transport: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }) },
        { name: "gRPC over h2c", transport: (baseUrl) => createGrpcTransport({ baseUrl }) },
        { name: "gRPC-Web over HTTP/1.1", transport: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }) },
      ];
      for (const c of clients) {
        it(`${c.name}: refused without the pass, taking nothing; let through with it`, async () => {
          const client = createClient(v1.ChillybinService, c.transport(server.url));
          const refused = await client.pick(pick).then(
            () => assert.fail("picked"),
            (e: unknown) => ConnectError.from(e),
          );
          assert.deepEqual([refused.code, refused.rawMessage], [Code.PermissionDenied, "no entry without the pass"]);
          assert.equal((await client.getStock({}, { headers: { [PASS]: "yes" } })).stock.cheese, 10);
          assert.equal((await client.pick(pick, { headers: { [PASS]: "yes" } })).remaining, 9);
          await chillybin.setStock({ cheese: 10 });
        });
      }

      it("@grpc/grpc-js: PERMISSION_DENIED", async () => {
        const error = await grpcJsUnary(new URL(server.url).host, v1.ChillybinService, "Pick", v1.PickRequestSchema, v1.PickResponseSchema, {
          $typeName: "chillybin.v1.PickRequest",
          ...pick,
        }).then(
          () => assert.fail("picked"),
          (e: grpc.ServiceError) => e,
        );
        assert.equal(error.code, grpc.status.PERMISSION_DENIED);
      });

      it("REST: 403 permission_denied, logged with the RPC and its code; the stock untouched", async () => {
        const res = await request(server.url, "GET", "/pick?name=cheese&quantity=1");
        assert.deepEqual([res.status, (res.json as { code: string }).code], [403, "permission_denied"]);
        const line = await log.waitFor((l) => l.msg === "request" && l.protocol === "rest" && l.code === "permission_denied");
        assert.equal(line?.rpc, "chillybin.v1.ChillybinService/Pick");
        const stock = await chillybin.db.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").executeTakeFirstOrThrow();
        assert.equal(stock.quantity, 10);
      });
    });
  }
});
