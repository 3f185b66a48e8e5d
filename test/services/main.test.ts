import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { JafflrService, MakeToastieRequestSchema, MakeToastieResponseSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import { grpcJsUnary } from "../support/transports.js";
import { serviceVersion } from "../../scripts/delivery/version.js";
import { freePort } from "../../scripts/support/ports.js";
import { listeningPort, runTs, type RunningProcess } from "../../scripts/support/processes.js";
import { createScratchDatabase, type ScratchDatabase } from "../../scripts/support/scratch-database.js";
import { eventually } from "../support/eventually.js";

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("the services as processes (npm run start:chillybin / start:jafflr / start)", function () {
  this.timeout(60_000);
  let database: ScratchDatabase;
  const running: RunningProcess[] = [];
  /** npm start's launchers: stopped with Ctrl-C, never SIGKILL (see npmStart). */
  const launchers: RunningProcess[] = [];
  beforeEach(async () => {
    database = await createScratchDatabase({ onDisk: true });
    await database.handOver(); // to the service under test
  });
  afterEach(async () => {
    await Promise.all(launchers.splice(0).map((p) => p.stop("SIGINT")));
    await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
    await database.drop();
  });

  it("each service starts on its port, serves, logs each request, and exits 0 on SIGTERM", async () => {
    const chillybin = runTs("services/chillybin/main.ts", { ...database.env, CHILLYBIN_PORT: "0", VERSION: "v-main-test" });
    running.push(chillybin);
    const chillybinUrl = `http://127.0.0.1:${listeningPort(await chillybin.waitForLine(/"msg":"listening"/))}`;
    const jafflr = runTs("services/jafflr/main.ts", { JAFFLR_PORT: "0", CHILLYBIN_URL: chillybinUrl, TOAST_TIME_SCALE: "0.01" });
    running.push(jafflr);
    const jafflrUrl = `http://127.0.0.1:${listeningPort(await jafflr.waitForLine(/"msg":"listening"/))}`;

    const made = await post(`${jafflrUrl}/jafflr.v1.JafflrService/MakeToastie`, { ingredients: ["cheese"] });
    assert.equal(made.status, 200);
    const stock = await post(`${chillybinUrl}/chillybin.v1.ChillybinService/GetStock`, {});
    assert.deepEqual(stock.json, { stock: { bread: 8, cheese: 9, vegemite: 10 } });

    const logLine = await chillybin.waitForLine(/"rpc":"chillybin.v1.ChillybinService\/GetStock"/);
    const logged = JSON.parse(logLine) as Record<string, unknown>;
    assert.equal(logged.service, "chillybin");
    assert.equal(logged.version, "v-main-test");
    assert.equal(logged.code, "ok");

    assert.equal(await jafflr.stop("SIGTERM"), 0);
    assert.equal(await chillybin.stop("SIGINT"), 0);
  });

  it("MAX_BODY_BYTES sets the largest body each service accepts (REST 413, RPC resource_exhausted)", async () => {
    const chillybin = runTs("services/chillybin/main.ts", { ...database.env, CHILLYBIN_PORT: "0", MAX_BODY_BYTES: "2048" });
    running.push(chillybin);
    const chillybinUrl = `http://127.0.0.1:${listeningPort(await chillybin.waitForLine(/"msg":"listening"/))}`;
    const jafflr = runTs("services/jafflr/main.ts", { JAFFLR_PORT: "0", CHILLYBIN_URL: chillybinUrl, MAX_BODY_BYTES: "2048" });
    running.push(jafflr);
    const jafflrUrl = `http://127.0.0.1:${listeningPort(await jafflr.waitForLine(/"msg":"listening"/))}`;
    const big = { ingredient: "cheese", quantity: 1, customer: "x".repeat(4096) };
    const rest = await post(`${chillybinUrl}/v2/pick`, big);
    assert.equal(rest.status, 413);
    const rpc = await post(`${jafflrUrl}/jafflr.v1.JafflrService/MakeToastie`, { ingredients: ["cheese"], customer: "x".repeat(4096) });
    assert.equal(rpc.json.code, "resource_exhausted");
    // Under the limit, all is as usual.
    assert.equal((await post(`${chillybinUrl}/v2/pick`, { ...big, customer: "gita" })).status, 200);
  });

  it("DIRECT_PATHS=none: both serve every protocol through Connect's own handlers, and jafflr calls chillybin through Connect's transport", async () => {
    const env = { DIRECT_PATHS: "none", TOAST_TIME_SCALE: "0.01" };
    const chillybin = runTs("services/chillybin/main.ts", { ...database.env, ...env, CHILLYBIN_PORT: "0" });
    running.push(chillybin);
    const chillybinListening = JSON.parse(await chillybin.waitForLine(/"msg":"listening"/)) as { port: number; directPaths: string[] };
    assert.deepEqual(chillybinListening.directPaths, []);
    const chillybinUrl = `http://127.0.0.1:${chillybinListening.port}`;
    const jafflr = runTs("services/jafflr/main.ts", { ...env, JAFFLR_PORT: "0", CHILLYBIN_URL: chillybinUrl });
    running.push(jafflr);
    await jafflr.waitForLine(/chillybin: http:\/\/127\.0\.0\.1:\d+, over gRPC, Connect's gRPC transport only \(DIRECT_PATHS\)/);
    const jafflrListening = JSON.parse(await jafflr.waitForLine(/"msg":"listening"/)) as { port: number; directPaths: string[] };
    assert.deepEqual(jafflrListening.directPaths, []);
    // A client nobody here wrote, over gRPC (h2c), through jafflr's and chillybin's Connect handlers.
    const made = await grpcJsUnary(
      `127.0.0.1:${jafflrListening.port}`,
      JafflrService,
      "MakeToastie",
      MakeToastieRequestSchema,
      MakeToastieResponseSchema,
      create(MakeToastieRequestSchema, { ingredients: ["cheese"] }),
    );
    assert.ok(made.toastie);
    const stock = await post(`${chillybinUrl}/chillybin.v1.ChillybinService/GetStock`, {});
    assert.deepEqual(stock.json, { stock: { bread: 8, cheese: 9, vegemite: 10 } });
  });

  it("lists the direct paths on in the listening line: all of them by default", async () => {
    const chillybin = runTs("services/chillybin/main.ts", { ...database.env, CHILLYBIN_PORT: "0" });
    running.push(chillybin);
    const listening = JSON.parse(await chillybin.waitForLine(/"msg":"listening"/)) as { directPaths: string[] };
    assert.deepEqual(listening.directPaths, ["grpc", "grpc-web", "connect"]);
  });

  /** Starts a service that must not start: it says `says` (within 30 s, a database to open first) and exits 1. */
  async function refusesToStart(service: "chillybin" | "jafflr", env: Record<string, string>, says: RegExp): Promise<void> {
    const refused = runTs(`services/${service}/main.ts`, env);
    running.push(refused);
    await refused.waitForLine(says, 30_000);
    assert.equal(await refused.exited, 1, `${service} exits 1 after: ${says.source}`);
  }

  it("stops at start-up with a clear message for a bad setting", async () => {
    await refusesToStart(
      "chillybin",
      { ...database.env, CHILLYBIN_PORT: "seven" },
      /configuration: CHILLYBIN_PORT must be a port number from 0 to 65535, got "seven"/,
    );
  });

  it("stops at start-up naming the database and its setting when the database is not right: not a URL, out of reach", async () => {
    const closed = await freePort(); // nothing listens there
    const cases: Array<{ url: string; says: RegExp }> = [
      {
        url: "notaurl",
        says: /^start-up failed: configuration: DATABASE_URL must be a PostgreSQL URL \(postgres:\/\/user@host:port\/database\), got "notaurl"$/,
      },
      {
        url: `postgres://postgres@127.0.0.1:${closed}/chillybin`,
        says: new RegExp(
          `^start-up failed: the database, PostgreSQL at postgres://postgres@127\\.0\\.0\\.1:${closed}/chillybin \\(DATABASE_URL\\), cannot be reached: .*ECONNREFUSED`,
        ),
      },
    ];
    for (const c of cases) await refusesToStart("chillybin", { DATABASE_URL: c.url, CHILLYBIN_PORT: "0" }, c.says);
  });

  it("stops at start-up naming the setting to change when it cannot listen: its port taken, its host not this machine's", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    const cases: Array<{ service: "chillybin" | "jafflr"; env: Record<string, string>; says: RegExp }> = [
      {
        service: "chillybin",
        env: { ...database.env, CHILLYBIN_PORT: String(port) },
        says: new RegExp(
          `^start-up failed: 127\\.0\\.0\\.1:${port} is already in use by another process: stop it, or set CHILLYBIN_PORT to another port \\(0: any free one\\)$`,
        ),
      },
      {
        service: "jafflr",
        env: { JAFFLR_PORT: String(port) },
        says: new RegExp(`^start-up failed: 127\\.0\\.0\\.1:${port} is already in use by another process: stop it, or set JAFFLR_PORT to another port`),
      },
      {
        service: "jafflr",
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine's own address.
        env: { JAFFLR_PORT: "0", JAFFLR_HOST: "192.0.2.1" },
        says: /^start-up failed: 192\.0\.2\.1 is not an address of this machine: set JAFFLR_HOST to one of its addresses \(0\.0\.0\.0: all of them\)$/,
      },
    ];
    try {
      for (const c of cases) await refusesToStart(c.service, c.env, c.says);
    } finally {
      taken.close();
    }
  });

  /** npm start on free ports; stopped with Ctrl-C afterwards if a test left it running (see below). */
  async function npmStart(): Promise<{ start: RunningProcess; chillybinPort: number; jafflrPort: number }> {
    const [chillybinPort, jafflrPort] = [await freePort(), await freePort()];
    const start = runTs("scripts/start.ts", {
      ...database.env,
      CHILLYBIN_PORT: String(chillybinPort),
      JAFFLR_PORT: String(jafflrPort),
      CHILLYBIN_URL: `http://127.0.0.1:${chillybinPort}`,
      TOAST_TIME_SCALE: "0",
      VERSION: "",
      LOG_LEVEL: "debug",
      // Quiet for 2 s rather than 30 before each gives memory back: the first test waits for that.
      MEMORY_AT_REST_AFTER: "2s",
    });
    // Not in `running`: afterEach's SIGKILL would stop the launcher only, and the services it
    // started (detached, so that a terminal's Ctrl-C reaches each once) would outlive a failed test
    // for as long as they take to notice (below).
    launchers.push(start);
    // A fresh clone's first start builds both bundles first (start-bundles.ts): seconds on a busy machine.
    for (const service of ["chillybin", "jafflr"] as const) await start.waitForLine(new RegExp(`^${service} *\\| .*"msg":"listening"`), 45_000);
    return { start, chillybinPort, jafflrPort };
  }

  it("npm start runs both at their versions with their images' V8 settings, prefixes their logs, and Ctrl-C stops both with exit 0", async () => {
    const { start, chillybinPort, jafflrPort } = await npmStart();
    for (const service of ["chillybin", "jafflr"] as const) {
      const listening = start.lines.find((l) => new RegExp(`^${service} *\\| .*"msg":"listening"`).test(l))!;
      // Each logs (and answers in x-service-version) the version npm run version prints.
      assert.equal((JSON.parse(listening.replace(/^[^{]*/, "")) as { version: string }).version, await serviceVersion(service, process.cwd()));
    }
    const made = await post(`http://127.0.0.1:${jafflrPort}/jafflr.v1.JafflrService/MakeToastie`, { ingredients: ["cheese", "vegemite"] });
    assert.equal(made.status, 200);
    // NODE_FLAGS's --expose-gc reached both: each gives back its start-up's garbage once quiet (memory-at-rest.ts).
    for (const service of ["chillybin", "jafflr"]) await start.waitForLine(new RegExp(`^${service} *\\| .*memory at rest: heap`), 20_000);
    // …and counts it where operators (and the bench, waiting for it) read it.
    for (const port of [chillybinPort, jafflrPort])
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^memory_at_rest_collections_total [1-9]\d*$/m);
    assert.equal(await start.stop("SIGINT"), 0);
    assert.ok(start.lines.some((l) => /^chillybin \| .*"msg":"stopped"/.test(l)));
    assert.ok(start.lines.some((l) => /^jafflr {4}\| .*"msg":"stopped"/.test(l)));
  });

  const endings: Array<{ how: string; signal: NodeJS.Signals; launcherExit: number | null }> = [
    { how: "its terminal closing (SIGHUP) stops both, as Ctrl-C does", signal: "SIGHUP", launcherExit: 0 },
    { how: "the launcher killed (SIGKILL), each service stops itself: its port is free again", signal: "SIGKILL", launcherExit: null },
  ];
  for (const { how, signal, launcherExit } of endings)
    it(`npm start: ${how}`, async () => {
      const { start, chillybinPort, jafflrPort } = await npmStart();
      const services = servicesOf(start.child.pid!);
      assert.equal(services.length, 2, "the launcher runs both services");
      assert.equal(await start.stop(signal), launcherExit);
      for (const port of [chillybinPort, jafflrPort]) {
        const refused = () =>
          fetch(`http://127.0.0.1:${port}/health`).then(
            () => false,
            () => true,
          );
        assert.ok(await eventually(refused, 20_000), `port ${port} still answers 20 s after the launcher's ${signal}`);
      }
      // Gone, not just closed: a service whose output nobody reads any more must still exit.
      for (const pid of services)
        assert.ok(await eventually(() => !stillRuns(pid), 20_000), `service process ${pid} still runs 20 s after the launcher's ${signal}`);
    });
});

/** The processes npm start's launcher runs its services in (its children running a bundle's main.mjs). */
function servicesOf(launcher: number): number[] {
  const children = readdirSync(`/proc/${launcher}/task`).flatMap((task) =>
    readFileSync(`/proc/${launcher}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
  );
  return children.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("main.mjs"));
}

/** Whether a process still runs (a zombie waiting to be reaped has finished). */
function stillRuns(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
