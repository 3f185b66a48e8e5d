// `npm run version -- <service>`: the last commit touching the service's
// dependency closure. Each case commits one change in a scratch clone of this
// repository and checks which services' versions moved.
import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { serviceVersion } from "../../scripts/delivery/version.js";
import { scratchClone, type ScratchClone } from "../support/scratch-clone.js";

const VERSION_CLI = "scripts/delivery/version-cli.ts";

describe("npm run version -- <service>", function () {
  this.timeout(120_000);
  let scratch: ScratchClone;
  let clone: string;
  const git = (...args: string[]) => scratch.git(...args);
  const version = (service: string) => scratch.runScript(VERSION_CLI, service);
  // The table below asks the function the CLI prints (four processes a case would take a minute in all).
  const versions = async () => ({ chillybin: await serviceVersion("chillybin", clone), jafflr: await serviceVersion("jafflr", clone) });

  before(async () => {
    scratch = await scratchClone("version");
    clone = scratch.dir;
  });
  after(() => scratch?.remove());

  it("is the commit that last touched the service, as `git rev-list -1 HEAD -- <closure>`", async () => {
    const chillybin = await version("chillybin");
    assert.match(chillybin, /^[0-9a-f]{40}$/);
    const closure = (await scratch.runScript(VERSION_CLI, "chillybin", "--files")).split("\n");
    for (const expected of [
      "services/chillybin/main.ts",
      "lib/server/serve.ts",
      "gen/chillybin/v2/chillybin_pb.ts",
      "proto/chillybin/v2/chillybin.proto",
      "migrations/chillybin",
      // Run as a process of its own (services.ts's programs): no import reaches it.
      "lib/db/initialise-data-folder.ts",
      "package-lock.json",
    ]) {
      assert.ok(closure.includes(expected), `${expected} is in chillybin's closure`);
    }
    for (const absent of ["services/jafflr/kitchen.ts", "proto/jafflr/v1/jafflr.proto", "README.md"]) assert.ok(!closure.includes(absent), `${absent} is not`);
    assert.equal(chillybin, await git("rev-list", "-1", "HEAD", "--", ...closure));
  });

  const changes: Array<{ change: string; file: string; text: string; moves: Array<"chillybin" | "jafflr"> }> = [
    { change: "jafflr-only code", file: "services/jafflr/kitchen.ts", text: "\n// touched\n", moves: ["jafflr"] },
    { change: "chillybin-only code", file: "services/chillybin/stock.ts", text: "\n// touched\n", moves: ["chillybin"] },
    { change: "shared code both import", file: "lib/logger.ts", text: "\n// touched\n", moves: ["chillybin", "jafflr"] },
    { change: "chillybin's v2 proto (jafflr calls it)", file: "proto/chillybin/v2/chillybin.proto", text: "\n// touched\n", moves: ["chillybin", "jafflr"] },
    { change: "chillybin's v1 proto (jafflr no longer calls it)", file: "proto/chillybin/v1/chillybin.proto", text: "\n// touched\n", moves: ["chillybin"] },
    { change: "jafflr's proto", file: "proto/jafflr/v1/jafflr.proto", text: "\n// touched\n", moves: ["jafflr"] },
    { change: "a chillybin migration", file: "migrations/chillybin/0001_create_ingredients.ts", text: "\n// touched\n", moves: ["chillybin"] },
    { change: "jafflr's Dockerfile", file: "services/jafflr/Dockerfile", text: "\n# touched\n", moves: ["jafflr"] },
    { change: "the lockfile", file: "package-lock.json", text: "\n", moves: ["chillybin", "jafflr"] },
    { change: "the README", file: "README.md", text: "\ntouched\n", moves: [] },
    { change: "a test", file: "test/services/main.test.ts", text: "\n// touched\n", moves: [] },
  ];

  for (const { change, file, text, moves } of changes) {
    it(`a commit to ${change} moves ${moves.length ? moves.join(" and ") : "neither"}`, async () => {
      const before = await versions();
      appendFileSync(path.join(clone, file), text);
      await git("commit", "-qam", `touch ${file}`);
      const head = await git("rev-parse", "HEAD");
      const after = await versions();
      for (const service of ["chillybin", "jafflr"] as const) {
        if (moves.includes(service)) assert.equal(after[service], head, `${service} moved to the new commit`);
        else assert.equal(after[service], before[service], `${service} did not move`);
      }
    });
  }

  it("says -dirty when the working tree changes the closure", async () => {
    const clean = await version("jafflr");
    appendFileSync(path.join(clone, "services/jafflr/kitchen.ts"), "\n// uncommitted\n");
    assert.equal(await version("jafflr"), `${clean}-dirty`);
    assert.equal(await version("chillybin"), (await versions()).chillybin.replace(/-dirty$/, ""));
    await git("checkout", "--", "services/jafflr/kitchen.ts");
  });

  it("refuses an unknown service with a usage line", async () => {
    await assert.rejects(scratch.runScript(VERSION_CLI, "toaster"), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 2);
      assert.match(e.stderr, /usage: npm run version -- <service>[\s\S]*chillybin, jafflr[\s\S]*"toaster"/);
      return true;
    });
  });
});
