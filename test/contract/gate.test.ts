// The gate must catch real breakage: each change below fails verification,
// with a report that says why.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { MatchersV3, PactV4 } from "@pact-foundation/pact";
import { CONSUMER, PACT_FILE, PROVIDER, STATES } from "../../scripts/contract/provider-states.js";
import { failedVerification, type ProviderVariant } from "./support/chillybin-provider.js";

/**
 * Verifies a chillybin variant against a pact file (in a process of its own, so
 * the verifier's report of an expected failure is captured, not printed),
 * answering the report when verification fails, undefined when it passes.
 */
function failureOf(variant: ProviderVariant, pactFile: string): Promise<string | undefined> {
  return failedVerification(variant, { pactUrls: [path.resolve(pactFile)] });
}

describe("contract: the gate catches real breakage", function () {
  this.timeout(90_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), "pact-gate-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a jafflr client that sends nome instead of name (the original's 'breaky' branch)", async () => {
    // The breaky branch's client, recorded as its consumer test would record it.
    const pact = new PactV4({ consumer: CONSUMER, provider: PROVIDER, dir, logLevel: "warn" });
    await pact
      .addInteraction()
      .given(STATES.inStock, { ingredient: "cheese", quantity: 10 })
      .uponReceiving("a v1 pick of cheese, sent as nome")
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
    const report = await failureOf("real", path.join(dir, `${CONSUMER}-${PROVIDER}.json`));
    assert.ok(report, "verification passed");
    assert.match(report, /a v1 pick of cheese, sent as nome/);
    assert.match(report, /expected 200 but was 400/);
  });

  it("a chillybin whose v2 PickOrder answers only positional ids, not the orders naming their ingredients that jafflr reads", async () => {
    const report = await failureOf("v2-without-named-orders", PACT_FILE);
    assert.ok(report, "verification passed");
    assert.match(report, /an order for a cheese toastie/);
    assert.match(report, /Actual map is missing the following keys: orders/);
  });

  it("step 3's precondition, shown by the contract: a chillybin without v1 Pick passes (jafflr no longer calls it)", async () => {
    assert.equal(await failureOf("without-v1-pick", PACT_FILE), undefined);
  });

  it("a chillybin whose refusals stop carrying the StockRefusal detail jafflr reads", async () => {
    const report = await failureOf("without-refusal-details", PACT_FILE);
    assert.ok(report, "verification passed");
    assert.match(report, /an order for a cheese toastie, out of cheese/);
    assert.match(report, /details/);
  });

  it("the real chillybin passes the same check", async () => {
    assert.equal(await failureOf("real", PACT_FILE), undefined);
  });
});
