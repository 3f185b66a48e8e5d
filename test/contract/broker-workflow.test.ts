// The whole broker workflow, driven by the unchanged official clients (the
// pact CLI and the Pact verifier) through npm run can-i-deploy and
// record-deployment, against a test double of the Pact Broker's HTTP API
// (test/support/fake-pact-broker.ts). This tests the wiring, not a broker.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { FakePactBroker } from "../support/fake-pact-broker.js";
import { runTs } from "../../scripts/support/processes.js";
import { failedVerification } from "./support/chillybin-provider.js";

const TOKEN = "test-token";

describe("contract: the broker workflow (against a broker test double)", function () {
  this.timeout(120_000);
  let broker: FakePactBroker;
  let env: Record<string, string>;

  before(async () => {
    broker = new FakePactBroker(TOKEN);
    env = {
      PACT_BROKER_BASE_URL: await broker.start(),
      PACT_BROKER_TOKEN: TOKEN,
      PACT_BROKER_HTTP_RETRIES: "0",
      PACT_DO_NOT_TRACK: "true",
      GIT_BRANCH: "main",
    };
  });
  after(() => broker?.stop());

  async function npmRun(script: "can-i-deploy" | "record-deployment", ...args: string[]): Promise<{ code: number | null; output: string }> {
    const entry = script === "can-i-deploy" ? "scripts/contract/can-i-deploy.ts" : "scripts/contract/record-deployment.ts";
    const run = runTs(entry, env, args);
    const code = await run.exited;
    return { code, output: `${run.lines.join("\n")}\n(exit ${code})` };
  }

  it("deploys chillybin and jafflr in the right order, and refuses what would break", async () => {
    // 1. The first chillybin: no consumer is deployed, so nothing can break.
    let result = await npmRun("can-i-deploy", "chillybin", "c1", "production");
    assert.equal(result.code, 0, result.output);
    assert.equal((await npmRun("record-deployment", "chillybin", "c1", "production")).code, 0);

    // 2. jafflr j1 publishes its pact, but the deployed chillybin c1 never verified it: refused.
    result = await npmRun("can-i-deploy", "jafflr", "j1", "production");
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /There is no verified pact between jafflr j1 and chillybin c1/);
    assert.match(result.output, /REFUSED: jafflr j1 must not be deployed to production/);
    assert.deepEqual(
      broker.pacts.map((p) => [p.consumer, p.consumerVersion, p.provider]),
      [["jafflr", "j1", "chillybin"]],
    );
    assert.equal(broker.versions.find((v) => v.pacticipant === "jafflr" && v.number === "j1")?.branch, "main");

    // 3. chillybin c2 verifies the pacts the broker selects (j1's, from main) and publishes the results.
    result = await npmRun("can-i-deploy", "chillybin", "c2", "production");
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(
      broker.verifications.map((v) => [v.provider, v.providerVersion, v.consumer, v.success]),
      [["chillybin", "c2", "jafflr", true]],
    );
    assert.ok(broker.requests.some((r) => r.startsWith("POST /pacts/provider/chillybin/for-verification")));
    assert.equal((await npmRun("record-deployment", "chillybin", "c2", "production")).code, 0);

    // 4. Now jafflr j1 may go out.
    result = await npmRun("can-i-deploy", "jafflr", "j1", "production");
    assert.equal(result.code, 0, result.output);
    assert.equal((await npmRun("record-deployment", "jafflr", "j1", "production")).code, 0);
    assert.deepEqual(broker.deployments, [
      { pacticipant: "chillybin", version: "c2", environment: "production" },
      { pacticipant: "jafflr", version: "j1", environment: "production" },
    ]);

    // 5. A chillybin whose PickOrder no longer answers the named orders the deployed
    //    jafflr j1 reads: its verification fails and is published, and can-i-deploy says no.
    const report = await failedVerification("v2-without-named-orders", {
      pactBrokerUrl: env.PACT_BROKER_BASE_URL,
      pactBrokerToken: TOKEN,
      consumerVersionSelectors: [{ deployedOrReleased: true }],
      publishVerificationResult: true,
      providerVersion: "c3",
      providerVersionBranch: "main",
    });
    assert.match(report ?? "verification passed", /Actual map is missing the following keys: orders/);
    const cli = await promisify(execFile)(
      "node_modules/.bin/pact-broker",
      ["can-i-deploy", "--pacticipant", "chillybin", "--version", "c3", "--to-environment", "production"],
      { env: { ...process.env, ...env } },
    ).then(
      () => ({ code: 0, output: "" }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, output: e.stdout + e.stderr }),
    );
    assert.equal(cli.code, 1);
    assert.match(cli.output, /The verification between jafflr j1 and chillybin c3 failed/);
  });

  it("refuses to start without a broker, saying what is missing", async () => {
    const run = runTs("scripts/contract/can-i-deploy.ts", { PACT_BROKER_BASE_URL: "", GIT_BRANCH: "main" }, ["jafflr", "j9", "production"]);
    assert.equal(await run.exited, 1);
    assert.match(run.lines.join("\n"), /PACT_BROKER_BASE_URL is not set/);
  });

  it("answers a wrong call with its usage", async () => {
    const run = runTs("scripts/contract/can-i-deploy.ts", {}, ["toaster", "1", "production"]);
    assert.equal(await run.exited, 2);
    assert.match(run.lines.join("\n"), /usage: npm run can-i-deploy -- <jafflr\|chillybin> <version> <environment>/);
  });
});
