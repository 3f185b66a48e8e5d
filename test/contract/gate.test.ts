// The gate must catch real breakage: each change below fails verification,
// with a report that says why.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PACT_FILE } from "../../scripts/contract/provider-states.js";
import { BREAKY_INTERACTION, writeBreakyPact } from "./support/breaky-pact.js";
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
    const report = await failureOf("real", await writeBreakyPact(dir));
    assert.ok(report, "verification passed");
    assert.match(report, new RegExp(BREAKY_INTERACTION));
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
