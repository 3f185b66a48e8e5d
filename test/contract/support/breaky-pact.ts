// The original's "breaky" branch: a jafflr client that sends `nome` instead of
// `name`, recorded as its consumer test would record it. The gate must refuse
// it, locally and through the broker.
import assert from "node:assert/strict";
import * as path from "node:path";
import { MatchersV3, PactV4 } from "@pact-foundation/pact";
import { CONSUMER, PROVIDER, STATES } from "../../../scripts/contract/provider-states.js";

export const BREAKY_INTERACTION = "a v1 pick of cheese, sent as nome";

/** Writes the breaky branch's pact into `dir`, answering its path. */
export async function writeBreakyPact(dir: string): Promise<string> {
  const pact = new PactV4({ consumer: CONSUMER, provider: PROVIDER, dir, logLevel: "warn" });
  await pact
    .addInteraction()
    .given(STATES.inStock, { ingredient: "cheese", quantity: 10 })
    .uponReceiving(BREAKY_INTERACTION)
    .withRequest("POST", "/chillybin.v1.ChillybinService/Pick", (b) =>
      b.headers({ "Content-Type": "application/json" }).jsonBody({ nome: "cheese", quantity: 1 }),
    )
    .willRespondWith(200, (b) => b.headers({ "Content-Type": "application/json" }).jsonBody({ remaining: MatchersV3.integer(9) }))
    .executeTest(async (mock) => {
      const res = await fetch(`${mock.url}/chillybin.v1.ChillybinService/Pick`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ nome: "cheese", quantity: 1 }),
      });
      assert.equal(res.status, 200);
    });
  return path.join(dir, `${CONSUMER}-${PROVIDER}.json`);
}
