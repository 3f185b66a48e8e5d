// The artifact each service ships: one bundle folder that runs with nothing
// but Node, from anywhere; and the Dockerfile that copies it into an image.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildService } from "../../scripts/delivery/bundle.js";
import { RUN_BUNDLE_ARGS, SERVICES, SERVICE_NAMES } from "../../scripts/delivery/services.js";
import { request } from "../support/http.js";
import { listeningPort, runProcess, type RunningProcess } from "../../scripts/support/processes.js";

describe("bundles in dist/<service>", function () {
  this.timeout(120_000);
  const VERSION = "bundle-test-version";
  let outside: string;
  const running: RunningProcess[] = [];

  before(() => (outside = mkdtempSync(path.join(tmpdir(), "artifacts-"))));
  after(async () => {
    await Promise.all(running.map((p) => p.stop("SIGKILL")));
    rmSync(outside, { recursive: true, force: true });
  });

  /** Starts a bundle with plain `node main.mjs` in its own folder, outside the repository. */
  function start(service: string, env: Record<string, string>): RunningProcess {
    const folder = path.join(outside, service);
    // Embedded PostgreSQL, whatever the test run's own environment says.
    const proc = runProcess(process.execPath, RUN_BUNDLE_ARGS, { cwd: folder, env: { DATABASE_URL: "", ...env } });
    running.push(proc);
    return proc;
  }

  it("each service builds into one folder that runs from outside the repository, migrations and version included", async () => {
    for (const service of SERVICE_NAMES) await buildService(service, process.cwd(), VERSION, path.join(outside, service));
    const chillybin = start("chillybin", { CHILLYBIN_PORT: "0", CHILLYBIN_DATA_DIR: path.join(outside, "data"), LOG_LEVEL: "info" });
    const chillybinPort = listeningPort(await chillybin.waitForLine(/"listening"/, 60_000));
    const jafflr = start("jafflr", { JAFFLR_PORT: "0", CHILLYBIN_URL: `http://127.0.0.1:${chillybinPort}`, TOAST_TIME_SCALE: "0" });
    const jafflrPort = listeningPort(await jafflr.waitForLine(/"listening"/, 60_000));

    // The migrations ran from the bundle's folder: the seeded stock is there.
    const stock = await request(`http://127.0.0.1:${chillybinPort}`, "GET", "/");
    assert.equal(stock.status, 200, stock.text);
    assert.equal(stock.headers["x-service-version"], VERSION);
    const before = (stock.json as Record<string, number>).cheese!;
    const toastie = await request(`http://127.0.0.1:${jafflrPort}`, "GET", "/toastie?i=cheese");
    assert.equal(toastie.status, 200, toastie.text);
    assert.equal(toastie.headers["x-service-version"], VERSION);
    assert.equal(((await request(`http://127.0.0.1:${chillybinPort}`, "GET", "/")).json as Record<string, number>).cheese, before - 1);

    assert.equal(await jafflr.stop("SIGTERM"), 0);
    assert.equal(await chillybin.stop("SIGTERM"), 0);
  });
});

describe("Dockerfiles", () => {
  for (const service of SERVICE_NAMES) {
    describe(service, () => {
      const text = readFileSync(`services/${service}/Dockerfile`, "utf8");
      const instructions = text
        .replace(/\\\n\s*/g, " ")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"));
      const stages = instructions.join("\n").split(/^(?=FROM )/m);
      const runtime = stages.at(-1)!;

      it("builds in one stage and runs in another, from the Node in .node-version (the one CI tests on first)", () => {
        const node = readFileSync(".node-version", "utf8").trim();
        assert.equal(stages.length, 2);
        assert.match(stages[0]!, new RegExp(`^FROM node:${node}-[\\w.-]+ AS build$`, "m"));
        assert.match(stages[0]!, /^RUN npm ci/m);
        assert.match(stages[0]!, new RegExp(`^RUN npm run build -- ${service}$`, "m"));
        assert.match(runtime, new RegExp(`^FROM node:${node}-[\\w.-]+$`, "m"));
      });

      it("ships only the bundle, runs it as a non-root user, with a health check", () => {
        assert.match(runtime, new RegExp(`^COPY --from=build (--chown=\\S+ )?/src/dist/${service}/ \\./$`, "m"));
        const user = /^USER (\S+)$/m.exec(runtime)?.[1];
        assert.ok(user && !["root", "0", "0:0"].includes(user), `USER ${user}`);
        assert.match(runtime, /^HEALTHCHECK .*CMD .*\/health/m);
        const cmd = /^CMD (.*)$/m.exec(runtime)?.[1];
        assert.deepEqual(JSON.parse(cmd ?? "null"), ["node", ...RUN_BUNDLE_ARGS], "node runs the bundle with the V8 settings the benchmark measured");
      });

      it("listens on every interface, on the port it exposes", () => {
        const { portEnv, port } = SERVICES[service];
        assert.match(runtime, new RegExp(`^EXPOSE ${port}$`, "m"));
        assert.match(runtime, new RegExp(`${portEnv}=${port}`));
        assert.match(runtime, new RegExp(`${service.toUpperCase()}_HOST=0\\.0\\.0\\.0`));
      });
    });
  }

  it(".dockerignore keeps node_modules, dist and local data out of the build context", () => {
    const ignored = readFileSync(".dockerignore", "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of ["node_modules", "dist", ".data", ".git"]) assert.ok(ignored.includes(entry), entry);
  });
});
