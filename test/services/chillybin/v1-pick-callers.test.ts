// The deprecated v1 Pick is counted by caller, so operators can see who still
// calls it and when nobody does (step 3 of the three-step change).
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { PickRequestSchema, PickResponseSchema, ChillybinService } from "../../../gen/chillybin/v1/chillybin_pb.js";
import { callerOf } from "../../../services/chillybin/v1-pick-callers.js";
import { request } from "../../support/http.js";
import { useServices } from "../../support/services.js";
import { grpcJsUnary } from "../../support/transports.js";

/** chillybin_v1_pick_calls_total by caller, as Prometheus would scrape it. */
async function callsByCaller(url: string): Promise<Record<string, number>> {
  const text = (await request(url, "GET", "/metrics")).text;
  return Object.fromEntries([...text.matchAll(/^chillybin_v1_pick_calls_total\{caller="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe("chillybin_v1_pick_calls_total: who still calls the deprecated v1 Pick", () => {
  const services = useServices();
  beforeEach(() => services.chillybin.setStock({ cheese: 1_000 }));

  it("counts each caller by its client's User-Agent, and nothing else (v2 calls, toasties)", async () => {
    const url = services.chillybin.server.url;
    await request(url, "GET", "/pick?name=cheese&quantity=1", { headers: { "user-agent": "curl/8.5.0" } });
    await request(url, "GET", "/pick?name=cheese&quantity=1", { headers: { "user-agent": "curl/8.5.0" } });
    await grpcJsUnary(
      new URL(url).host,
      ChillybinService,
      "Pick",
      PickRequestSchema,
      PickResponseSchema,
      create(PickRequestSchema, { name: "cheese", quantity: 1 }),
    );
    await request(url, "POST", "/v2/pick", {
      body: JSON.stringify({ ingredient: "cheese", quantity: 1, customer: "kim" }),
      headers: { "content-type": "application/json" },
    });
    await request(services.jafflr.server.url, "GET", "/toastie?i=cheese");
    assert.deepEqual(await callsByCaller(url), { curl: 2, "grpc-node-js": 1 });
  });

  it("keeps its labels bounded: callers past the first 20 count as other", async () => {
    const url = services.chillybin.server.url;
    for (let i = 0; i < 25; i++) await request(url, "GET", "/pick?name=cheese&quantity=1", { headers: { "user-agent": `bot-${i}/1.0` } });
    const calls = await callsByCaller(url);
    assert.equal(Object.keys(calls).length, 21, JSON.stringify(calls));
    assert.equal(calls.other, 25 - (20 - 2)); // curl and grpc-node-js took two of the 20
  });

  const table: Array<[string | null, string]> = [
    ["grpc-node-js/1.14.7", "grpc-node-js"],
    ["connect-es/2.1.2", "connect-es"],
    ["Python-grpc/1.60 grpc-c/38.0.0 (linux; chttp2)", "python-grpc"],
    ["", "unknown"],
    [null, "unknown"],
    ["<script>", "unknown"],
  ];
  for (const [agent, caller] of table) {
    it(`User-Agent ${JSON.stringify(agent)} → ${caller}`, () => assert.equal(callerOf(agent), caller));
  }
});
