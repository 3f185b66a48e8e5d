// npm run deploy, end to end, on the `local` target (processes on this
// machine) in a scratch clone, with the real gate scripts and Pact CLIs
// against a real Pact Broker: plan, gates, build, deploy, health,
// record; unchanged services skipped; a failing gate stops everything.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { INSTALL_TIMEOUT_MS, startTestPactBroker, type TestPactBroker } from "../support/pact-broker.js";
import { request } from "../support/http.js";
import { freePort } from "../../scripts/support/ports.js";
import { runProcess } from "../../scripts/support/processes.js";
import { scratchClone, type ScratchClone } from "../support/scratch-clone.js";

describe("npm run deploy -- <environment> [--dry-run]", function () {
  this.timeout(300_000);
  let scratch: ScratchClone;
  let clone: string;
  let broker: TestPactBroker;
  let env: Record<string, string>;
  let ports: { chillybin: number; jafflr: number };
  const state = () => path.join(clone, ".deploy-test");

  const git = (...args: string[]) => scratch.git(...args);
  const version = (service: string) => scratch.runScript("scripts/delivery/version-cli.ts", service);
  async function deploy(...args: string[]): Promise<{ code: number | null; output: string }> {
    const proc = runProcess(process.execPath, ["--import", "tsx", "scripts/delivery/deploy-cli.ts", ...args], { cwd: clone, env });
    const code = await proc.exited;
    return { code, output: proc.lines.join("\n") };
  }
  const health = async (service: "chillybin" | "jafflr") =>
    (await request(`http://127.0.0.1:${ports[service]}`, "GET", "/health")).json as { status: string; version: string };
  const pidOf = (service: string) => (JSON.parse(readFileSync(path.join(state(), service, "current.json"), "utf8")) as { pid: number }).pid;

  before(async function () {
    this.timeout(INSTALL_TIMEOUT_MS);
    scratch = await scratchClone("deploy");
    clone = scratch.dir;
    ports = { chillybin: await freePort(), jafflr: await freePort() };
    // npm test and buf breaking run in CI already (and npm test here would recurse): this environment gates on contracts.
    writeFileSync(path.join(clone, "environments.json"), JSON.stringify({ test: { target: "local", gates: ["contracts"], stateDir: ".deploy-test", ports } }));
    broker = await startTestPactBroker(["test"]);
    env = {
      DEPLOY_ENVIRONMENTS: "environments.json",
      ...broker.env,
      GIT_BRANCH: "main",
      // Embedded PostgreSQL for the deployed chillybin and the provider verification, whatever this run uses.
      DATABASE_URL: "",
      TOAST_TIME_SCALE: "0",
    };
  });

  after(async () => {
    for (const service of ["jafflr", "chillybin"]) {
      try {
        process.kill(pidOf(service), "SIGKILL");
      } catch {
        // not started, or gone already
      }
    }
    await broker?.stop();
    scratch?.remove();
  });

  it("--dry-run prints the plan and changes nothing", async () => {
    const { code, output } = await deploy("test", "--dry-run");
    assert.equal(code, 0, output);
    const [chillybin, jafflr] = [await version("chillybin"), await version("jafflr")];
    assert.match(output, /dry run: nothing will change/);
    assert.match(output, new RegExp(`chillybin\\s+${chillybin}\\s+DEPLOY: not deployed to test yet`));
    assert.match(output, new RegExp(`jafflr\\s+${jafflr}\\s+DEPLOY: not deployed to test yet`));
    assert.match(
      output,
      new RegExp(`publish jafflr ${jafflr}'s pacts[\\s\\S]*can-i-deploy -- chillybin ${chillybin} test[\\s\\S]*can-i-deploy -- jafflr ${jafflr} test`),
    );
    assert.match(
      output,
      new RegExp(
        `then chillybin[\\s\\S]*record-deployment -- chillybin ${chillybin} test[\\s\\S]*then jafflr[\\s\\S]*record-deployment -- jafflr ${jafflr} test`,
      ),
    );
    assert.deepEqual(await broker.pacticipants(), []);
    assert.deepEqual(await broker.deployed("test"), []);
    assert.equal(existsSync(state()), false);
  });

  it("deploys both, provider first, after the gates; each confirmed healthy and recorded in the broker", async () => {
    const { code, output } = await deploy("test");
    assert.equal(code, 0, output);
    const [chillybin, jafflr] = [await version("chillybin"), await version("jafflr")];
    assert.deepEqual(await health("chillybin"), { status: "SERVING", version: chillybin });
    assert.equal((await health("jafflr")).version, jafflr);
    // Published before chillybin's verification, and again (the same content) by jafflr's own check.
    const matrix = await broker.matrix("jafflr", "chillybin");
    assert.deepEqual(
      matrix.map((r) => [r.consumerVersion, r.consumerBranch, r.providerVersion, r.success]),
      [[jafflr, "main", chillybin, true]],
    );
    assert.deepEqual(await broker.deployed("test"), [`chillybin ${chillybin}`, `jafflr ${jafflr}`]);
    // The deployed pair works together.
    const toastie = await request(`http://127.0.0.1:${ports.jafflr}`, "GET", "/toastie?i=cheese");
    assert.equal(toastie.status, 200, toastie.text);
  });

  it("skips what already runs its version, and says so", async () => {
    const { code, output } = await deploy("test");
    assert.equal(code, 0, output);
    assert.match(output, /chillybin\s+\w+\s+SKIP: unchanged: test already runs/);
    assert.match(output, /jafflr\s+\w+\s+SKIP: unchanged: test already runs/);
    assert.match(output, /nothing to deploy/);
    assert.deepEqual(await broker.deployed("test"), [`chillybin ${await version("chillybin")}`, `jafflr ${await version("jafflr")}`]);
  });

  it("after a jafflr-only commit, deploys jafflr alone; chillybin's process is left running", async () => {
    const chillybinPid = pidOf("chillybin");
    appendFileSync(path.join(clone, "services/jafflr/kitchen.ts"), "\n// a jafflr-only change\n");
    await git("commit", "-qam", "a jafflr-only change");
    const jafflr = await version("jafflr");
    const { code, output } = await deploy("test");
    assert.equal(code, 0, output);
    assert.match(output, /chillybin\s+\w+\s+SKIP: unchanged/);
    assert.match(output, new RegExp(`jafflr\\s+${jafflr}\\s+DEPLOY: changed since`));
    assert.equal((await health("jafflr")).version, jafflr);
    assert.equal(pidOf("chillybin"), chillybinPid);
    assert.deepEqual(await broker.deployed("test"), [`chillybin ${await version("chillybin")}`, `jafflr ${jafflr}`]);
  });

  it("stops at a failing gate: a jafflr whose pact chillybin does not honour is not deployed", async () => {
    const running = (await health("jafflr")).version;
    const pact = path.join(clone, "pacts/jafflr-chillybin.json");
    const pactText = readFileSync(pact, "utf8");
    assert.ok(pactText.includes('"orders":'), "the pact pins PickOrder's orders");
    writeFileSync(pact, pactText.replaceAll('"orders":', '"namedOrders":'));
    appendFileSync(path.join(clone, "services/jafflr/kitchen.ts"), "\n// expects namedOrders\n");
    await git("commit", "-qam", "jafflr expects namedOrders");
    const deployed = await broker.deployed("test");
    const { code, output } = await deploy("test");
    assert.equal(code, 1, output);
    assert.match(output, /REFUSED: the gate "npm run can-i-deploy -- jafflr \w+ test" failed/);
    assert.match(output, /Nothing was deployed/);
    assert.equal((await health("jafflr")).version, running);
    assert.deepEqual(await broker.deployed("test"), deployed);
  });

  it("refuses uncommitted changes, an unknown environment, and a wrong call", async () => {
    appendFileSync(path.join(clone, "services/jafflr/kitchen.ts"), "\n// uncommitted\n");
    let result = await deploy("test");
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /REFUSED: jafflr has uncommitted changes/);
    await git("checkout", "--", "services/jafflr/kitchen.ts");
    result = await deploy("moon");
    assert.equal(result.code, 2);
    assert.match(result.output, /no environment "moon" in environments\.json; there are: test/);
    result = await deploy();
    assert.equal(result.code, 2);
    assert.match(result.output, /usage: npm run deploy -- <environment> \[--dry-run\]/);
  });
});
