// The whole broker workflow against a real Pact Broker (the pact_broker gem,
// started as `npm run broker` starts it), driven by the official clients as CI
// and operators run them: npm run can-i-deploy and record-deployment (pact-cli
// and the Pact verifier inside), npm run verify-changed-pact behind a webhook.
// Every yes and no below is the broker's. The steps build on one another, in order.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { selectedPactsVerification } from "../../scripts/contract/chillybin-provider.js";
import { PACT_FILE } from "../../scripts/contract/provider-states.js";
import { environmentNames } from "../../scripts/delivery/environments.js";
import { freePort } from "../../scripts/support/ports.js";
import { type RunningProcess, runTs } from "../../scripts/support/processes.js";
import { INSTALL_TIMEOUT_MS, startTestPactBroker, type TestPactBroker } from "../support/pact-broker.js";
import { BREAKY_INTERACTION, writeBreakyPact } from "./support/breaky-pact.js";
import { failedVerification } from "./support/chillybin-provider.js";

type Script = "can-i-deploy" | "record-deployment";

describe("contract: the broker workflow, against a real Pact Broker", function () {
  this.timeout(180_000);
  let broker: TestPactBroker;
  let scratch: string;
  let webhookEndpoint: RunningProcess | undefined;

  before(async function () {
    this.timeout(INSTALL_TIMEOUT_MS);
    broker = await startTestPactBroker(environmentNames());
    scratch = mkdtempSync(path.join(tmpdir(), "broker-workflow-"));
  });
  after(async () => {
    await webhookEndpoint?.stop();
    await broker?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function npmRun(script: Script, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
    const run = runTs(`scripts/contract/${script}.ts`, { ...broker.env, GIT_BRANCH: "main", ...env }, args);
    const code = await run.exited;
    return { code, output: `${stripVTControlCharacters(run.lines.join("\n"))}\n(exit ${code})` };
  }
  const verifications = async () =>
    (await broker.matrix("jafflr", "chillybin"))
      .filter((r) => r.providerVersion)
      .map((r) => `${r.consumerVersion}→${r.providerVersion} ${r.success ? "ok" : "failed"}`);

  it("knows the environments of deploy/environments.json, production marked as production", async () => {
    const response = await fetch(`${broker.url}/environments`, { headers: { accept: "application/hal+json" } });
    const { _embedded } = (await response.json()) as { _embedded: { environments: { name: string; production: boolean }[] } };
    const environments = Object.fromEntries(_embedded.environments.map((e) => [e.name, e.production]));
    assert.deepEqual(environments, { staging: false, production: true, local: false });
  });

  it("1. the first chillybin may go out: no consumer is deployed that it could break", async () => {
    const result = await npmRun("can-i-deploy", ["chillybin", "c1", "production"]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /Computer says yes/);
    assert.equal((await npmRun("record-deployment", ["chillybin", "c1", "production"])).code, 0);
    assert.deepEqual(await broker.deployed("production"), ["chillybin c1"]);
  });

  it("2. jafflr j1 publishes its pact from main, but no deployed chillybin has verified it: refused", async () => {
    const result = await npmRun("can-i-deploy", ["jafflr", "j1", "production"]);
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /There is no verified pact between version j1 of jafflr and the version of chillybin currently in production \(c1\)/);
    assert.match(result.output, /REFUSED: jafflr j1 must not be deployed to production/);
    assert.deepEqual(await broker.branchesOf("jafflr", "j1"), ["main"]);
  });

  it("3. chillybin c2 verifies the pacts the broker selects (j1's, from main) and publishes the results: deployable", async () => {
    const result = await npmRun("can-i-deploy", ["chillybin", "c2", "production"]);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(await verifications(), ["j1→c2 ok"]);
    assert.deepEqual(await broker.branchesOf("chillybin", "c2"), ["main"]);
    assert.equal((await npmRun("record-deployment", ["chillybin", "c2", "production"])).code, 0);
  });

  it("4. now jafflr j1 may go out, and its deployment is recorded", async () => {
    const result = await npmRun("can-i-deploy", ["jafflr", "j1", "production"]);
    assert.equal(result.code, 0, result.output);
    assert.equal((await npmRun("record-deployment", ["jafflr", "j1", "production"])).code, 0);
    assert.deepEqual(await broker.deployed("production"), ["chillybin c2", "jafflr j1"]);
  });

  it("5. a jafflr from the breaky feature branch (nome for name) is refused: chillybin has not verified its pact", async () => {
    const dir = path.join(scratch, "breaky");
    await writeBreakyPact(dir);
    const result = await npmRun("can-i-deploy", ["jafflr", "jb", "production", "--pact-dir", dir], { GIT_BRANCH: "breaky" });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /There is no verified pact between version jb of jafflr and the version of chillybin currently in production \(c2\)/);
    assert.deepEqual(await broker.branchesOf("jafflr", "jb"), ["breaky"]);
  });

  it("6. chillybin c3's main build verifies the breaky pact as a pending WIP pact: the failure is published, the build passes", async () => {
    const result = await npmRun("can-i-deploy", ["chillybin", "c3", "production"]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(BREAKY_INTERACTION));
    assert.match(result.output, /it is a 'work in progress' pact/);
    assert.match(result.output, /If this verification fails, it will not cause the overall build to fail/);
    assert.deepEqual((await verifications()).sort(), ["j1→c2 ok", "j1→c3 ok", "jb→c3 failed"]);
    assert.equal((await npmRun("record-deployment", ["chillybin", "c3", "production"])).code, 0);
  });

  it("7. the breaky jafflr is refused again, now because its verification failed", async () => {
    const result = await npmRun("can-i-deploy", ["jafflr", "jb", "production", "--pact-dir", path.join(scratch, "breaky")], { GIT_BRANCH: "breaky" });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /The verification for the pact between version jb of jafflr and the version of chillybin currently in production \(c3\) failed/,
    );
  });

  it("8. a changed pact reaches chillybin through the webhook: npm run verify-changed-pact verifies exactly that pact and publishes the result", async () => {
    webhookEndpoint = runTs("scripts/contract/verify-changed-pact.ts", { ...broker.env, VERIFY_CHANGED_PACT_PORT: "0" });
    await webhookEndpoint.waitForLine(/^listening on http:\/\/127\.0\.0\.1:\d+\/pact-changed/, 30_000);
    // jafflr j2 no longer makes one of j1's calls: new content, which chillybin has not verified.
    const pact = JSON.parse(readFileSync(PACT_FILE, "utf8")) as { interactions: unknown[] };
    pact.interactions = pact.interactions.slice(1);
    const dir = path.join(scratch, "changed");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "jafflr-chillybin.json"), JSON.stringify(pact));
    const published = await npmRun("can-i-deploy", ["jafflr", "j2", "production", "--pact-dir", dir]);
    assert.equal(published.code, 1, "no chillybin has verified j2's pact yet when it is published");
    // The broker calls the endpoint for the chillybin versions that must verify it (main's latest and production's: c3).
    const deadline = Date.now() + 90_000;
    while (!(await verifications()).includes("j2→c3 ok")) {
      assert.ok(Date.now() < deadline, `no verification of j2 by c3 within 90 s; the endpoint wrote:\n${webhookEndpoint.lines.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await webhookEndpoint.waitForLine(/^verified http:\/\/\S+\/pact-version\/\S+ as chillybin c3 \(main\): passed, published/);
    const result = await npmRun("can-i-deploy", ["jafflr", "j2", "production", "--pact-dir", dir]);
    assert.equal(result.code, 0, result.output);
  });

  it("9. once a pact is no longer pending, breaking it fails chillybin's build: a chillybin that drops PickOrder's named orders", async () => {
    const report = await failedVerification(
      "v2-without-named-orders",
      selectedPactsVerification({ broker: { url: broker.url }, providerVersion: "c4", providerVersionBranch: "main" }),
    );
    assert.ok(report, "the build passed");
    assert.match(report, /Actual map is missing the following keys: orders/);
    assert.ok((await verifications()).includes("j1→c4 failed"));
  });

  it("10. the webhook endpoint refuses what it cannot take, naming why, and verifies nothing for it", async () => {
    assert.ok(webhookEndpoint, "step 8 started the endpoint");
    const endpoint = /http:\/\/127\.0\.0\.1:\d+\/pact-changed/.exec(await webhookEndpoint.waitForLine(/^listening on/))![0];
    const before = await verifications();
    const pactUrl = `${broker.url}/pacts/provider/chillybin/consumer/jafflr/version/j1`;
    const call = { pactUrl, providerVersionNumber: "c9", providerVersionBranch: "main" };
    const table: [string, RequestInit, number, RegExp][] = [
      ["not JSON", { method: "POST", body: "{" }, 400, /the body is not JSON/],
      ["no pact URL", { method: "POST", body: JSON.stringify({ ...call, pactUrl: undefined }) }, 400, /pactUrl must be a non-empty string/],
      ["no version", { method: "POST", body: JSON.stringify({ ...call, providerVersionNumber: "" }) }, 400, /providerVersionNumber must be a non-empty string/],
      [
        "a number for a branch",
        { method: "POST", body: JSON.stringify({ ...call, providerVersionBranch: 7 }) },
        400,
        /providerVersionBranch must be a non-empty string/,
      ],
      [
        "a pact of another server",
        { method: "POST", body: JSON.stringify({ ...call, pactUrl: "http://198.51.100.7/pacts/x" }) },
        400,
        /pactUrl must be a pact of the broker at/,
      ],
      ["too large", { method: "POST", body: "x".repeat(64 * 1024) }, 413, /at most 16384 bytes/],
      ["GET", { method: "GET" }, 405, /only POST/],
    ];
    for (const [what, init, status, message] of table) {
      const response = await fetch(endpoint, { ...init, headers: { "content-type": "application/json" } });
      assert.equal(response.status, status, what);
      assert.match(await response.text(), message, what);
    }
    assert.equal((await fetch(endpoint.replace("/pact-changed", "/other"), { method: "POST" })).status, 404);
    assert.deepEqual(await verifications(), before);
  });
});

describe("contract: npm run broker", function () {
  this.timeout(120_000);

  it("starts a broker on PACT_BROKER_PORT, prints its URL, creates the environments, and stops cleanly on Ctrl-C", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), "npm-run-broker-"));
    const broker = runTs("scripts/contract/broker-cli.ts", { PACT_BROKER_PORT: String(port), PACT_BROKER_DATA_DIR: dataDir });
    try {
      const ready = await broker.waitForLine(/^Pact Broker: /, 90_000);
      assert.match(ready, new RegExp(`^Pact Broker: http://127\\.0\\.0\\.1:${port} +\\(environments created: staging, production, local\\)`));
      const heartbeat = await fetch(`http://127.0.0.1:${port}/diagnostic/status/heartbeat`);
      assert.equal(heartbeat.status, 200);
      assert.ok(existsSync(path.join(dataDir, "pact_broker.sqlite3")), "its SQLite database is in PACT_BROKER_DATA_DIR");
      assert.equal(await broker.stop("SIGINT"), 0);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/diagnostic/status/heartbeat`), "the broker (puma) stopped with it");
    } finally {
      await broker.stop("SIGKILL");
      // Were the test to fail half-way, puma (which printed its pid) must not outlive it.
      const puma = broker.lines.map((l) => /PID: (\d+)/.exec(l)?.[1]).find(Boolean);
      if (puma) {
        try {
          process.kill(Number(puma), "SIGKILL");
        } catch {
          // stopped already, as it should have
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("without Ruby, fails at once naming what to install", async () => {
    // Only Node on the PATH: no ruby, no bundle.
    const run = runTs("scripts/contract/broker-cli.ts", { PATH: path.dirname(process.execPath) });
    assert.equal(await run.exited, 1);
    assert.match(run.lines.join("\n"), /needs Ruby 3\.1\+ with Bundler .* apt-get install ruby-full ruby-bundler build-essential/);
  });
});

describe("contract: the broker scripts, called wrongly", () => {
  it("refuse to start without a broker, saying what is missing", async () => {
    const run = runTs("scripts/contract/can-i-deploy.ts", { PACT_BROKER_BASE_URL: "", GIT_BRANCH: "main" }, ["jafflr", "j9", "production"]);
    assert.equal(await run.exited, 1);
    assert.match(run.lines.join("\n"), /PACT_BROKER_BASE_URL is not set.*npm run broker starts one here/);
  });

  it("answer a wrong call with their usage", async () => {
    const table: [string, string[], RegExp][] = [
      ["scripts/contract/can-i-deploy.ts", ["toaster", "1", "production"], /usage: npm run can-i-deploy -- <jafflr\|chillybin> <version> <environment>/],
      ["scripts/contract/can-i-deploy.ts", ["jafflr", "1", "production", "--pacts", "x"], /Unknown option '--pacts'/],
      ["scripts/contract/record-deployment.ts", ["jafflr", "1"], /usage: npm run record-deployment/],
      ["scripts/contract/broker-cli.ts", ["now"], /usage: npm run broker/],
    ];
    for (const [entry, args, expected] of table) {
      const run = runTs(entry, {}, args);
      assert.equal(await run.exited, 2, `${entry} ${args.join(" ")}`);
      assert.match(run.lines.join("\n"), expected);
    }
  });
});
