// The runtime the product supports, stated once in package.json's engines
// and .node-version, and the dependency pins around it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { nodeTarget } from "../../scripts/delivery/bundle.js";

const run = promisify(execFile);

interface PackageJson {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  pinned: Record<string, string>;
}

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as PackageJson;
const allDependencies = { ...pkg.dependencies, ...pkg.devDependencies };
const oldest = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
const major = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);

/** `npm ci --dry-run` in a copy of package.json, its lock file and .npmrc, with engines replaced. */
async function npmCiWithEngines(node: string): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "engines-"));
  try {
    for (const file of ["package-lock.json", ".npmrc"]) copyFileSync(file, path.join(dir, file));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, engines: { node } }));
    const { stdout, stderr } = await run("npm", ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout: string; stderr: string };
    return { ok: false, output: e.stdout + e.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the supported runtime", function () {
  this.timeout(60_000);

  it('engines names the oldest supported Node as ">=major.minor", a maintained LTS line (22 or newer)', () => {
    assert.ok(oldest, `engines.node is ${pkg.engines.node}`);
    assert.ok(Number(oldest[1]) >= 22, "Node 20 and older are past their end of life");
  });

  it("this test run's Node is one engines admits (CI runs the suite on .node-version's Node and on the oldest)", () => {
    const [maj, min] = process.versions.node.split(".").map(Number) as [number, number];
    assert.ok(maj > Number(oldest?.[1]) || (maj === Number(oldest?.[1]) && min >= Number(oldest?.[2])), `Node ${process.version} vs ${pkg.engines.node}`);
  });

  it(".node-version names the current LTS major, at least the oldest in engines", () => {
    const preferred = Number(readFileSync(".node-version", "utf8").trim());
    assert.ok(Number.isInteger(preferred) && preferred >= Number(oldest?.[1]), `.node-version: ${preferred}`);
  });

  it("bundles are built for the oldest Node in engines", () => {
    assert.equal(nodeTarget("."), `node${oldest?.[1]}.${oldest?.[2]}`);
  });

  it("npm ci refuses a Node that engines exclude, naming what is required (.npmrc engine-strict)", async () => {
    const refused = await npmCiWithEngines(`>=${major(process.version) + 1}`);
    assert.equal(refused.ok, false, refused.output);
    assert.match(refused.output, /EBADENGINE/);
    assert.match(refused.output, new RegExp(`Required: \\{"node":">=${major(process.version) + 1}"\\}`));
    const accepted = await npmCiWithEngines(pkg.engines.node);
    assert.equal(accepted.ok, true, accepted.output);
  });
});

describe("dependency pins", () => {
  it("every dependency is an exact version (the lock file is not the only record of what runs)", () => {
    for (const [name, version] of Object.entries(allDependencies)) assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version}`);
  });

  it("every package held below its newest release is in package.json's `pinned`, with a reason, and is a dependency", () => {
    for (const [name, reason] of Object.entries(pkg.pinned)) {
      assert.ok(allDependencies[name], `${name} is pinned but not a dependency`);
      assert.ok(reason.length > 20, `${name}: say why it is pinned`);
    }
  });

  it("@types/node describes the oldest Node in engines, as its pin says", () => {
    assert.equal(major(allDependencies["@types/node"] ?? ""), Number(oldest?.[1]));
  });

  it("packages released together are on one version", () => {
    const together = [
      ["@bufbuild/protobuf", "@bufbuild/protoc-gen-es"],
      ["@connectrpc/connect", "@connectrpc/connect-node"],
    ];
    for (const [a, b] of together) assert.equal(allDependencies[a!], allDependencies[b!], `${a} and ${b}`);
  });
});
