// Side-effect-free RPCs (idempotency_level = NO_SIDE_EFFECTS: GetStock,
// GetStatus) answer Connect GET, which caches, as Connect clients send it with
// useHttpGet; every RPC path answers a method it does not take with 405 and
// an Allow header (Connect's own 405 had neither Allow nor a body).
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { captureLogger } from "../support/capture-logger.js";
import { request } from "../support/http.js";
import { useServices } from "../support/services.js";

describe("Connect GET, and 405 with Allow on RPC paths", () => {
  // The servers' access logs say which HTTP method each call came with.
  const chillybinLog = captureLogger();
  const jafflrLog = captureLogger();
  const services = useServices({ chillybinLogger: chillybinLog.logger, jafflrLogger: jafflrLog.logger });
  const getClient = <S extends typeof ChillybinService | typeof JafflrService>(service: S, baseUrl: string) =>
    createClient(service, createConnectTransport({ baseUrl, httpVersion: "1.1", useHttpGet: true }));
  const methodsOf = (lines: Array<Record<string, unknown>>, rpc: string) => lines.filter((l) => l.rpc === rpc).map((l) => l.httpMethod);

  it("a Connect client with useHttpGet reads chillybin's stock and jafflr's status with GET", async () => {
    await services.chillybin.setStock({ bread: 10, cheese: 7, vegemite: 10 });
    assert.equal((await getClient(ChillybinService, services.chillybin.server.url).getStock({})).stock.cheese, 7);
    assert.equal((await getClient(JafflrService, services.jafflr.server.url).getStatus({})).cooking, 0);
    assert.deepEqual(methodsOf(chillybinLog.lines, "chillybin.v1.ChillybinService/GetStock"), ["GET"]);
    assert.deepEqual(methodsOf(jafflrLog.lines, "jafflr.v1.JafflrService/GetStatus"), ["GET"]);
  });

  it("GET with the query Connect defines (curl-able, cacheable)", async () => {
    const res = await request(
      services.chillybin.server.url,
      "GET",
      `/chillybin.v1.ChillybinService/GetStock?connect=v1&encoding=json&message=${encodeURIComponent("{}")}`,
    );
    assert.equal(res.status, 200, res.text);
    assert.ok((res.json as { stock: Record<string, number> }).stock);
  });

  const refused: Array<{ case: string; method: string; path: string; allow: string }> = [
    { case: "GET on Pick, which takes stock", method: "GET", path: "/chillybin.v1.ChillybinService/Pick", allow: "POST" },
    { case: "PUT on GetStock", method: "PUT", path: "/chillybin.v1.ChillybinService/GetStock", allow: "GET, HEAD, POST" },
    { case: "DELETE on v2 PickOrder", method: "DELETE", path: "/chillybin.v2.ChillybinService/PickOrder", allow: "POST" },
    { case: "REST: DELETE /restock", method: "DELETE", path: "/restock", allow: "GET, POST" },
  ];
  for (const r of refused) {
    it(`${r.case}: 405, Allow: ${r.allow}, and a body that says so`, async () => {
      const res = await request(services.chillybin.server.url, r.method, r.path);
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, r.allow);
      assert.match((res.json as { message: string }).message, /is not allowed on/);
    });
  }
});
