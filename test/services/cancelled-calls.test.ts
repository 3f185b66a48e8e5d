// A call its client cancels or abandons is logged and counted `canceled`
// (status 499 in the access line, as access logs call a response nobody
// received), on every protocol, with clients nobody here wrote: @grpc/grpc-js
// cancelling while the toastie cooks, and curl giving up after 50 ms (`curl -m 0.05`).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { toBinary, create } from "@bufbuild/protobuf";
import { MakeToastieRequestSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import { Kitchen } from "../../services/jafflr/kitchen.js";
import { captureLogger } from "../support/capture-logger.js";
import { request } from "../support/http.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../support/services.js";

const MAKE_TOASTIE = "/jafflr.v1.JafflrService/MakeToastie";

/** curl, giving up after 50 ms: exits 28 (operation timed out). */
function curlGivingUp(url: string, args: string[]): Promise<number> {
  return new Promise((resolve) => execFile("curl", ["-s", "-o", "/dev/null", "-m", "0.05", ...args, url], (error) => resolve(error ? Number(error.code) : 0)));
}

/**
 * @grpc/grpc-js calling MakeToastie and cancelling once jafflr is cooking it:
 * a fixed delay could cancel before a loaded machine has even sent the call.
 */
function grpcJsCancelling(address: string, kitchen: Kitchen): Promise<grpc.status> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.makeUnaryRequest(
      MAKE_TOASTIE,
      (message: Uint8Array) => Buffer.from(message),
      (reply: Buffer) => reply,
      toBinary(MakeToastieRequestSchema, create(MakeToastieRequestSchema, { ingredients: ["cheese"] })),
      (error) => {
        client.close();
        resolve(error ? error.code : grpc.status.OK);
      },
    );
    const cancelWhenCooking = () => (kitchen.cooking > 0 ? call.cancel() : setTimeout(cancelWhenCooking, 5));
    cancelWhenCooking();
  });
}

describe("a call its client cancels or abandons is logged and counted canceled", function () {
  this.timeout(30_000);
  const log = captureLogger();
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  before(async () => {
    chillybin = await startChillybin();
    // Cooking a light toastie takes 1 s: every client below leaves long before.
    jafflr = await startJafflr({ chillybinUrl: chillybin.server.url, kitchen: new Kitchen(1), logger: log.logger });
  });
  after(async () => {
    await jafflr?.stop();
    await chillybin?.stop();
  });

  const table: Array<{ case: string; protocol: string; leave: () => Promise<number> }> = [
    {
      case: "gRPC: @grpc/grpc-js cancels while the toastie cooks",
      protocol: "grpc",
      leave: () => grpcJsCancelling(new URL(jafflr.server.url).host, jafflr.kitchen),
    },
    {
      case: "Connect: curl -m 0.05",
      protocol: "connect",
      leave: () => curlGivingUp(`${jafflr.server.url}${MAKE_TOASTIE}`, ["-H", "content-type: application/json", "-d", '{"ingredients":["cheese"]}']),
    },
    { case: "REST: curl -m 0.05", protocol: "rest", leave: () => curlGivingUp(`${jafflr.server.url}/toastie?i=cheese`, []) },
  ];
  for (const t of table) {
    it(t.case, async () => {
      const before = log.lines.length;
      const clientSaw = await t.leave();
      assert.ok(clientSaw === grpc.status.CANCELLED || clientSaw === 28, `the client left (it saw ${clientSaw})`);
      const line = await log.waitFor((l) => l.msg === "request" && l.rpc === "jafflr.v1.JafflrService/MakeToastie", before);
      assert.ok(line, "an access line");
      assert.deepEqual([line.protocol, line.code, line.status], [t.protocol, "canceled", 499]);
      const metrics = (await request(jafflr.server.url, "GET", "/metrics")).text;
      assert.match(
        metrics,
        new RegExp(`^rpc_requests_total\\{service="jafflr.v1.JafflrService",method="MakeToastie",protocol="${t.protocol}",code="canceled",`, "m"),
      );
    });
  }
});
