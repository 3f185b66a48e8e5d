// `npm run bench`: figures, not a test. Against a real PostgreSQL
// (DATABASE_URL), with 50 concurrent clients on one hot row, in one run:
//   - the database's own ceilings (ceilings.ts): a Pick's conditional UPDATE,
//     and a whole toastie's transaction (2 updates and 2 order rows);
//   - chillybin Pick over Connect binary, Connect JSON, gRPC, gRPC-Web and REST,
//     as a ratio to the Pick ceiling;
//   - toasties (MakeToastie through jafflr over gRPC, and GET /toastie over
//     HTTP/1.1; cooking scaled to zero), as a ratio to the toastie ceiling;
//   - Node's http2 answering a fixed gRPC reply (null-grpc-server.ts): the
//     runtime's ceiling, which gRPC Pick is printed as a ratio of; and the
//     leanest real Pick (lean-pick-server.ts: Node's http2 and chillybin's
//     own batcher, nothing else), what the database work alone leaves of it;
//   - each service's resident memory as the last load ends and at rest, once
//     it has given memory back (lib/memory-at-rest.ts; waited for, up to 90 s),
//     and its start-to-ready time;
//   - what tracing costs: Pick over gRPC with a traceparent on every call, and
//     against a chillybin exporting every span over OTLP/HTTP;
//   - the direct unary paths off (DIRECT_PATHS): Pick over gRPC and Connect
//     binary through Connect's own handlers, and toasties with jafflr calling
//     chillybin through Connect's gRPC transport.
// The services run from their bundles (npm run build) with their V8 flags, as
// their images run them. Each load is a number of calls, not a time, so that
// every call ends and its effect can be checked: the cheese (and bread, and
// order rows) taken must equal what was answered OK, or the bench fails.
// Targets (issue 14): Pick over gRPC >= 1.0x its ceiling, every Pick p99 < 50 ms;
// a toastie >= 1.0x its ceiling with p99 < 100 ms (over REST too, issue 26);
// RSS <= 150 MB per service at rest after the loads; gRPC Pick >= 0.5x the runtime's ceiling (issue 26).
import { mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { create, toBinary } from "@bufbuild/protobuf";
import { encodeEnvelope } from "../../lib/connect-internals.js";
import { MEMORY_AT_REST_DEFAULTS } from "../../lib/memory-at-rest.js";
import pg from "pg";
import { PickRequestSchema } from "../../gen/chillybin/v1/chillybin_pb.js";
import { MakeToastieRequestSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import { freePort } from "../support/ports.js";
import { residentMemoryMb, runProcess } from "../support/processes.js";
import { buildService } from "../delivery/bundle.js";
import { NODE_FLAGS, RUN_BUNDLE_ARGS } from "../delivery/services.js";
import { pickCeiling, toastieCeiling } from "./ceilings.js";
import { h2load, h2loadAvailable } from "./h2load.js";
import { figuresOf, type LoadFigures } from "./load.js";
import { collectionsOf, waitForMemoryAtRest } from "./memory-at-rest-wait.js";
import { startBenchChillybin, waitForHealth } from "./prepare-chillybin.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Calls in each (unmeasured) warm-up run, which also sizes the measured run to about SECONDS. */
const WARM_UP_CALLS = CLIENTS * 40;

if (!process.env.DATABASE_URL) {
  console.error("npm run bench measures against a real PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  process.exit(2);
}
if (!h2loadAvailable()) {
  console.error("npm run bench needs h2load for gRPC and h2c loads: apt-get install nghttp2-client");
  process.exit(2);
}

/** gRPC Pick's requests per second as a share of Node's http2 answering a fixed reply (issue 26). */
const RUNTIME_RATIO_TARGET = 0.5;

/** A service as its last load ended: its resident memory, and the collections memory at rest has run. */
async function loadsEnded(url: string, pid: number | undefined): Promise<{ rssMb: number; collections: number }> {
  return { rssMb: residentMemoryMb(pid), collections: await collectionsOf(url) };
}

/** How long the bench waits for the services to give memory back after the loads: three quiet spells. */
const AT_REST_GIVE_UP_MS = 3 * MEMORY_AT_REST_DEFAULTS.quietForMs;
/** The most resident memory each service may hold at rest after the loads. */
const RSS_TARGET_MB = 150;

async function autocannonLoad(options: autocannon.Options, amount: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await autocannon({
    connections: CLIENTS,
    amount,
    ...options,
    setupClient: (client) => {
      // autocannon's own percentiles are whole milliseconds, and count failures too.
      client.on("response", (status: number, _bytes: number, ms: number) => status >= 200 && status < 300 && latencies.push(ms));
    },
  }).then((r) => (errors = r.errors + r.non2xx));
  return figuresOf(latencies, errors, (performance.now() - started) / 1000);
}

// What is measured is what ships: each service's bundle, run with plain node.
const bundles = mkdtempSync(path.join(tmpdir(), "bench-bundles-"));
for (const service of ["chillybin", "jafflr"] as const) await buildService(service, process.cwd(), "bench", path.join(bundles, service));
// The database's own ceilings first, before the services start: idle for as long as that takes (~30 s
// on a slow machine), they would give their memory back and start the first load slower (memory-at-rest.ts).
let pickFloor!: LoadFigures;
let toastieFloor!: LoadFigures;
const chillybin = await startBenchChillybin({ LOG_LEVEL: "warn" }, path.join(bundles, "chillybin"), async (databaseUrl) => {
  pickFloor = await pickCeiling(databaseUrl!, CLIENTS, SECONDS);
  toastieFloor = await toastieCeiling(databaseUrl!, CLIENTS, SECONDS);
});
const jafflrPort = await freePort();
const jafflrStarted = performance.now();
const jafflrEnv = (port: number) => ({ JAFFLR_PORT: String(port), CHILLYBIN_URL: chillybin.url, TOAST_TIME_SCALE: "0", LOG_LEVEL: "warn", VERSION: "bench" });
const jafflr = runProcess(process.execPath, RUN_BUNDLE_ARGS, { cwd: path.join(bundles, "jafflr"), env: jafflrEnv(jafflrPort) });
const jafflrUrl = `http://127.0.0.1:${jafflrPort}`;
const db = new pg.Pool({ connectionString: chillybin.databaseUrl, max: 2 });
const failures: string[] = [];

/** What a bench database shows: stock of bread and cheese, and order rows per ingredient. */
async function effectsOn(db: pg.Pool): Promise<{ bread: number; cheese: number; breadOrders: number; cheeseOrders: number }> {
  const stock = await db.query<{ name: string; quantity: number }>("select name, quantity from ingredients where name in ('bread', 'cheese')");
  const orders = await db.query<{ ingredient: string; n: number }>("select ingredient, count(*)::int as n from orders group by ingredient");
  const level = (name: string) => stock.rows.find((r) => r.name === name)!.quantity;
  const count = (name: string) => orders.rows.find((r) => r.ingredient === name)?.n ?? 0;
  return { bread: level("bread"), cheese: level("cheese"), breadOrders: count("bread"), cheeseOrders: count("cheese") };
}
const effects = () => effectsOn(db);

/** An OTLP/HTTP endpoint that takes every export and counts them (a collector's cost is not what is measured). */
async function startOtlpSink(): Promise<{ url: string; exports: () => number; close: () => void }> {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/v1/traces") exports++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}`, exports: () => exports, close: () => server.close() };
}

/**
 * Runs a load (a warm-up, then a measured run of about SECONDS) and checks
 * each run's effect: what was answered OK must be exactly what was taken.
 */
async function measured(
  name: string,
  kind: "pick" | "toastie",
  load: (calls: number) => Promise<LoadFigures>,
  effectsNow: typeof effects = effects,
): Promise<LoadFigures> {
  const run = async (calls: number) => {
    const before = await effectsNow();
    const figures = await load(calls);
    const after = await effectsNow();
    const cheese = before.cheese - after.cheese;
    if (kind === "pick" && cheese !== figures.ok) failures.push(`${name}: ${figures.ok} picks answered OK, ${cheese} cheese taken`);
    if (kind === "toastie") {
      const bread = before.bread - after.bread;
      const rows = { bread: after.breadOrders - before.breadOrders, cheese: after.cheeseOrders - before.cheeseOrders };
      if (cheese !== figures.ok || bread !== 2 * figures.ok || rows.bread !== figures.ok || rows.cheese !== figures.ok) {
        failures.push(
          `${name}: ${figures.ok} toasties answered OK, but ${bread} bread and ${cheese} cheese taken, ${rows.bread} bread and ${rows.cheese} cheese order rows (a partial toastie, or a lost one)`,
        );
      }
    }
    return figures;
  };
  const warm = await run(WARM_UP_CALLS);
  return run(Math.max(WARM_UP_CALLS, Math.round(warm.perSecond * SECONDS)));
}

try {
  await waitForHealth(`${jafflrUrl}/health`, jafflr);
  const jafflrStartToReadyMs = performance.now() - jafflrStarted;

  const pickBytes = toBinary(PickRequestSchema, create(PickRequestSchema, { name: "cheese", quantity: 1 }));
  const pickPath = `${chillybin.url}/chillybin.v1.ChillybinService/Pick`;
  const toastieBytes = toBinary(MakeToastieRequestSchema, create(MakeToastieRequestSchema, { ingredients: ["cheese"] }));
  const grpc = { "content-type": "application/grpc", te: "trailers" };

  const rows: Array<{ name: string; figures: LoadFigures; ceiling: LoadFigures; p99TargetMs?: number; ratioTarget?: number }> = [
    { name: "PostgreSQL: a Pick's UPDATE (pick ceiling)", figures: pickFloor, ceiling: pickFloor },
    { name: "PostgreSQL: a toastie's transaction (toastie ceiling)", figures: toastieFloor, ceiling: toastieFloor },
  ];
  const pickRow = async (name: string, load: (calls: number) => Promise<LoadFigures>, ratioTarget?: number) =>
    rows.push({ name, figures: await measured(name, "pick", load), ceiling: pickFloor, p99TargetMs: 50, ratioTarget });

  await pickRow("Pick, gRPC (h2c, h2load)", (n) => h2load(pickPath, encodeEnvelope(0, pickBytes), grpc, CLIENTS, n), 1.0);
  // Two servers of the bench's own, in the same run and with the same V8 flags: Node's http2 answering a fixed
  // gRPC reply (null-grpc-server.ts, the runtime's ceiling), and the leanest real Pick (lean-pick-server.ts:
  // Node's http2 and chillybin's own batcher on the same database, none of the service's other work).
  const benchServerLoad = async (script: string, env: Record<string, string>, run: (load: (n: number) => Promise<LoadFigures>) => Promise<LoadFigures>) => {
    const server = runProcess(process.execPath, [...NODE_FLAGS, "--import", "tsx", `scripts/bench/${script}`], { env });
    try {
      const port = (await server.waitForLine(/^listening \d+$/)).split(" ")[1];
      return await run((n) => h2load(`http://127.0.0.1:${port}/chillybin.v1.ChillybinService/Pick`, encodeEnvelope(0, pickBytes), grpc, CLIENTS, n));
    } finally {
      await server.stop("SIGTERM");
    }
  };
  const runtimeCeiling = await benchServerLoad("null-grpc-server.ts", {}, async (load) => {
    const warm = await load(WARM_UP_CALLS);
    return load(Math.max(WARM_UP_CALLS, Math.round(warm.perSecond * SECONDS)));
  });
  rows.push({ name: "Node's http2, a fixed gRPC reply (the runtime's ceiling)", figures: runtimeCeiling, ceiling: pickFloor });
  const leanName = "Node's http2 and chillybin's batcher alone (the lean Pick)";
  const leanPick = await benchServerLoad("lean-pick-server.ts", { DATABASE_URL: chillybin.databaseUrl! }, (load) => measured(leanName, "pick", load));
  rows.push({ name: leanName, figures: leanPick, ceiling: pickFloor });
  await pickRow("Pick, Connect binary (h2c, h2load)", (n) => h2load(pickPath, pickBytes, { "content-type": "application/proto" }, CLIENTS, n));
  await pickRow("Pick, Connect JSON (HTTP/1.1, autocannon)", (n) =>
    autocannonLoad(
      { url: pickPath, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "cheese", quantity: 1 }) },
      n,
    ),
  );
  await pickRow("Pick, gRPC-Web (HTTP/1.1, autocannon)", (n) =>
    autocannonLoad(
      { url: pickPath, method: "POST", headers: { "content-type": "application/grpc-web+proto" }, body: Buffer.from(encodeEnvelope(0, pickBytes)) },
      n,
    ),
  );
  await pickRow("Pick, REST GET /pick (HTTP/1.1, autocannon)", (n) => autocannonLoad({ url: `${chillybin.url}/pick?name=cheese&quantity=1` }, n));
  const toastieName = "Toastie: MakeToastie, gRPC (h2c, h2load)";
  rows.push({
    name: toastieName,
    figures: await measured(toastieName, "toastie", (n) =>
      h2load(`${jafflrUrl}/jafflr.v1.JafflrService/MakeToastie`, encodeEnvelope(0, toastieBytes), grpc, CLIENTS, n),
    ),
    ceiling: toastieFloor,
    p99TargetMs: 100,
    ratioTarget: 1.0,
  });
  // The REST path the Go original's users called, over HTTP/1.1: the same p99 target (issue 26).
  const restToastieName = "Toastie: GET /toastie (HTTP/1.1, autocannon)";
  rows.push({
    name: restToastieName,
    figures: await measured(restToastieName, "toastie", (n) => autocannonLoad({ url: `${jafflrUrl}/toastie?i=cheese&customer=gita` }, n)),
    ceiling: toastieFloor,
    p99TargetMs: 100,
  });

  // jafflr's last load: what it holds now, and its collections so far (memory at rest, below).
  const jafflrAtLoadsEnd = await loadsEnded(jafflrUrl, jafflr.child.pid);

  // Tracing. The rows above run with no OTEL_* variables: the SDK is not loaded and calls without a
  // traceparent skip tracing. These two show what continuing callers' traces costs (a traceparent
  // on every call: spans made and passed on, nothing recorded), and what exporting every span does
  // (a chillybin configured with OTEL_EXPORTER_OTLP_ENDPOINT, on a database of its own).
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  // Figures to compare with the first gRPC row, without targets of their own.
  const tracedName = "Pick, gRPC, a traceparent on every call (nothing exported)";
  rows.push({
    name: tracedName,
    figures: await measured(tracedName, "pick", (n) => h2load(pickPath, encodeEnvelope(0, pickBytes), { ...grpc, traceparent }, CLIENTS, n)),
    ceiling: pickFloor,
  });
  // jafflr calling chillybin through Connect's gRPC transport instead of the direct one (its own server's direct paths on).
  const clientOffPort = await freePort();
  const clientOff = runProcess(process.execPath, RUN_BUNDLE_ARGS, {
    cwd: path.join(bundles, "jafflr"),
    env: { ...jafflrEnv(clientOffPort), DIRECT_PATHS: "grpc,grpc-web,connect" },
  });
  try {
    await waitForHealth(`http://127.0.0.1:${clientOffPort}/health`, clientOff);
    const name = "Toastie, gRPC, jafflr DIRECT_PATHS without client";
    rows.push({
      name,
      figures: await measured(name, "toastie", (n) =>
        h2load(`http://127.0.0.1:${clientOffPort}/jafflr.v1.JafflrService/MakeToastie`, encodeEnvelope(0, toastieBytes), grpc, CLIENTS, n),
      ),
      ceiling: toastieFloor,
    });
  } finally {
    await clientOff.stop("SIGTERM");
  }

  // chillybin's last load. What each service holds once left alone: after MEMORY_AT_REST_AFTER (30 s by
  // default) of a quiet event loop it gives back what the loads grew its heap by (the target is on this
  // figure). The rows after this run on services of their own.
  const chillybinAtLoadsEnd = await loadsEnded(chillybin.url, chillybin.process.child.pid);
  const atRestAfter = await waitForMemoryAtRest(
    { chillybin: { url: chillybin.url, before: chillybinAtLoadsEnd.collections }, jafflr: { url: jafflrUrl, before: jafflrAtLoadsEnd.collections } },
    // Scraped every 5 s: each scrape is 10–25 ms of a service's loop, which counts against its quiet average.
    { quietForMs: MEMORY_AT_REST_DEFAULTS.quietForMs, pollMs: 5_000, giveUpMs: AT_REST_GIVE_UP_MS },
  );
  const rss = { chillybin: residentMemoryMb(chillybin.process.child.pid), jafflr: residentMemoryMb(jafflr.child.pid) };
  const rssAtLoadsEnd = { chillybin: chillybinAtLoadsEnd.rssMb, jafflr: jafflrAtLoadsEnd.rssMb };

  const sink = await startOtlpSink();
  const exporting = await startBenchChillybin({ OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: "200" }, path.join(bundles, "chillybin"));
  const exportingDb = new pg.Pool({ connectionString: exporting.databaseUrl, max: 2 });
  try {
    const name = "Pick, gRPC, exporting every span (OTLP/HTTP)";
    const exportingPath = `${exporting.url}/chillybin.v1.ChillybinService/Pick`;
    rows.push({
      name,
      figures: await measured(
        name,
        "pick",
        (n) => h2load(exportingPath, encodeEnvelope(0, pickBytes), grpc, CLIENTS, n),
        () => effectsOn(exportingDb),
      ),
      ceiling: pickFloor,
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last batch of spans
    if (sink.exports() === 0) failures.push(`${name}: no spans reached the OTLP endpoint`);
  } finally {
    await exportingDb.end();
    await exporting.stop();
    sink.close();
  }
  // The direct paths off (DIRECT_PATHS, lib/direct-paths.ts): what an operator who turns them off
  // gives up, and whether unary-connect.ts still earns its place beside Connect's own unary handler.
  const connectOnly = await startBenchChillybin({ DIRECT_PATHS: "none" }, path.join(bundles, "chillybin"));
  const connectOnlyDb = new pg.Pool({ connectionString: connectOnly.databaseUrl, max: 2 });
  try {
    const offPath = `${connectOnly.url}/chillybin.v1.ChillybinService/Pick`;
    for (const [name, load] of [
      ["Pick, gRPC, DIRECT_PATHS=none (Connect's handler)", (n: number) => h2load(offPath, encodeEnvelope(0, pickBytes), grpc, CLIENTS, n)],
      [
        "Pick, Connect binary, DIRECT_PATHS=none (Connect's handler)",
        (n: number) => h2load(offPath, pickBytes, { "content-type": "application/proto" }, CLIENTS, n),
      ],
    ] as const) {
      rows.push({ name, figures: await measured(name, "pick", load, () => effectsOn(connectOnlyDb)), ceiling: pickFloor });
    }
  } finally {
    await connectOnlyDb.end();
    await connectOnly.stop();
  }
  console.log(`${CLIENTS} clients, about ${SECONDS} s per load after a warm-up of ${WARM_UP_CALLS} calls, one hot row; ${chillybin.database}`);
  console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}\n`);
  console.log(`${"".padEnd(64)}${"per s".padStart(8)}${"p50 ms".padStart(8)}${"p99 ms".padStart(8)}${"errors".padStart(7)}${"× ceiling".padStart(10)}  target`);
  const missed: string[] = [];
  for (const { name, figures: f, ceiling, p99TargetMs, ratioTarget } of rows) {
    const ratio = f.perSecond / ceiling.perSecond;
    const targets = [ratioTarget === undefined ? "" : `≥ ${ratioTarget.toFixed(1)}×`, p99TargetMs === undefined ? "" : `p99 < ${p99TargetMs}`]
      .filter(Boolean)
      .join(", ");
    const met = (ratioTarget === undefined || ratio >= ratioTarget) && (p99TargetMs === undefined || f.p99Ms < p99TargetMs);
    if (targets && !met) missed.push(name);
    console.log(
      `${name.padEnd(64)}${f.perSecond.toFixed(0).padStart(8)}${f.p50Ms.toFixed(1).padStart(8)}${f.p99Ms.toFixed(1).padStart(8)}${String(f.errors).padStart(7)}${ratio.toFixed(2).padStart(10)}  ${targets}${targets ? (met ? " met" : " MISSED") : ""}`,
    );
  }
  const grpcPickRate = rows.find((r) => r.name === "Pick, gRPC (h2c, h2load)")!.figures.perSecond;
  const grpcPick = grpcPickRate / runtimeCeiling.perSecond;
  const grpcPickMet = grpcPick >= RUNTIME_RATIO_TARGET;
  if (!grpcPickMet) missed.push("gRPC Pick against the runtime's ceiling");
  console.log(
    `\ngRPC Pick: ${grpcPick.toFixed(2)}× the runtime's ceiling (Node's http2 with a fixed reply; target ≥ ${RUNTIME_RATIO_TARGET}×) ${grpcPickMet ? "met" : "MISSED"}`,
  );
  // Not targets: where the lean Pick itself stands, and what chillybin's own work (every protocol, validation,
  // deadlines, limits, the request log and metrics, errors in each protocol's words) leaves of it.
  console.log(
    `the lean Pick: ${(leanPick.perSecond / runtimeCeiling.perSecond).toFixed(2)}× the runtime's ceiling; gRPC Pick ${(grpcPickRate / leanPick.perSecond).toFixed(2)}× the lean Pick`,
  );
  console.log(
    `resident memory after the loads, at rest: chillybin ${rss.chillybin.toFixed(0)} MB, jafflr ${rss.jafflr.toFixed(0)} MB (target ≤ ${RSS_TARGET_MB} MB each; ` +
      `as the last load ended: chillybin ${rssAtLoadsEnd.chillybin.toFixed(0)} MB, jafflr ${rssAtLoadsEnd.jafflr.toFixed(0)} MB; ` +
      `at rest ${Object.entries(atRestAfter)
        .map(([service, s]) => `${service} ${s === undefined ? `NOT within ${AT_REST_GIVE_UP_MS / 1000} s` : `${s.toFixed(0)} s`}`)
        .join(", ")} after)`,
  );
  for (const [service, mb] of Object.entries(rss)) if (!(mb <= RSS_TARGET_MB)) missed.push(`${service} resident memory`);
  console.log(
    `start to ready (bundle, ${chillybin.database}): chillybin ${chillybin.startToReadyMs.toFixed(0)} ms (its migrations already applied), jafflr ${jafflrStartToReadyMs.toFixed(0)} ms`,
  );
  console.log(missed.length ? `targets missed: ${missed.join("; ")}` : "every target met");
} finally {
  await db.end();
  await jafflr.stop("SIGTERM");
  await chillybin.stop();
  rmSync(bundles, { recursive: true, force: true });
}
if (failures.length) {
  console.error(`\nBENCH FAILED: what was answered is not what was taken:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
