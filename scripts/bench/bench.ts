// `npm run bench`: figures, not a test. Against a real PostgreSQL
// (DATABASE_URL), with 50 concurrent clients on one hot ingredient:
//   - the database's own ceiling for the pick's UPDATE (a direct pg loop);
//   - chillybin Pick over Connect binary (h2c), Connect JSON (HTTP/1.1), gRPC and REST;
//   - jafflr toasties with cooking time scaled to zero;
//   - each service's resident memory;
// the services run from their bundles (npm run build), as their images run them;
// each printed with its ratio to the ceiling. Targets (issue 7): Pick ≥ 1.0×
// the ceiling, p99 < 50 ms, REST ≥ 0.85× Connect, RSS < 150 MB per service.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import pg from "pg";
import { create, toBinary } from "@bufbuild/protobuf";
import { ChillybinService, PickRequestSchema } from "../../gen/chillybin/v1/chillybin_pb.js";
import { JafflrService, MakeToastieRequestSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import { RUN_BUNDLE_ARGS } from "../delivery/services.js";
import { h2load, h2loadAvailable } from "./h2load.js";
import { freePort } from "../../test/support/ports.js";
import { runProcess } from "../../test/support/processes.js";
import { buildService } from "../delivery/bundle.js";
import { closedLoop, type LoadFigures } from "./load.js";
import { startBenchChillybin } from "./prepare-chillybin.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CONNECTIONS ?? 50);

if (!process.env.DATABASE_URL) {
  console.error("npm run bench measures against a real PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  process.exit(2);
}

function rssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

async function autocannonLoad(options: autocannon.Options): Promise<LoadFigures> {
  const r = await autocannon({ connections: CLIENTS, duration: SECONDS, ...options });
  return { perSecond: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.non2xx };
}

// What is measured is what ships: each service's bundle, run with plain node.
const bundles = mkdtempSync(path.join(tmpdir(), "bench-bundles-"));
for (const service of ["chillybin", "jafflr"] as const) await buildService(service, process.cwd(), "bench", path.join(bundles, service));
const chillybin = await startBenchChillybin({ LOG_LEVEL: "warn" }, path.join(bundles, "chillybin"));
const jafflrPort = await freePort();
const jafflr = runProcess(process.execPath, RUN_BUNDLE_ARGS, { cwd: path.join(bundles, "jafflr"), env: { JAFFLR_PORT: String(jafflrPort), CHILLYBIN_URL: chillybin.url, TOAST_TIME_SCALE: "0", LOG_LEVEL: "warn", VERSION: "bench" } });
const jafflrUrl = `http://127.0.0.1:${jafflrPort}`;

/** Runs a Pick load and checks its effect: the cheese taken must equal the picks counted as answered. */
async function countedPicks(load: () => Promise<LoadFigures>): Promise<LoadFigures> {
  const cheese = async () => Number((await fetch(`${chillybin.url}/`).then((r) => r.json() as Promise<Record<string, number>>)).cheese);
  const before = await cheese();
  const figures = await load();
  const taken = before - (await cheese());
  const answered = Math.round(figures.perSecond * SECONDS);
  // Closed loops count to the second, not the request: allow the last in-flight round.
  if (Math.abs(taken - answered) > CLIENTS) console.warn(`warning: ${answered} picks answered OK but ${taken} cheese taken`);
  return figures;
}
try {
  for (let up = false; !up; ) up = await fetch(`${jafflrUrl}/health`).then((r) => r.ok, () => false);

  // The database's ceiling: the same conditional UPDATE, straight from a pg pool.
  const pool = new pg.Pool({ connectionString: chillybin.databaseUrl, max: CLIENTS });
  const ceiling = await closedLoop(CLIENTS, SECONDS, () => pool.query("update ingredients set quantity = quantity - $1 where name = $2 and quantity >= $1 returning quantity", [1, "cheese"]));
  await pool.end();

  const pick = { ingredient: "cheese", quantity: 1 };
  const results: Array<[string, LoadFigures]> = [["PostgreSQL UPDATE (ceiling)", ceiling]];
  // h2c: h2load when installed (apt-get install nghttp2-client), else a Node client in this process.
  const useH2load = await h2loadAvailable();
  const pickBytes = toBinary(PickRequestSchema, create(PickRequestSchema, pick));
  const pickPath = `${chillybin.url}/chillybin.v1.ChillybinService/Pick`;
  const binary = createClient(ChillybinService, createConnectTransport({ baseUrl: chillybin.url, httpVersion: "2", useBinaryFormat: true }));
  const grpc = createClient(ChillybinService, createGrpcTransport({ baseUrl: chillybin.url }));
  const h2c = useH2load ? "h2load" : "Node client";
  results.push([`Pick, Connect binary (h2c, ${h2c})`, await countedPicks(() => (useH2load ? h2load(pickPath, pickBytes, { "content-type": "application/proto" }, CLIENTS, SECONDS) : closedLoop(CLIENTS, SECONDS, () => binary.pick(pick))))]);
  results.push(["Pick, Connect JSON (HTTP/1.1, autocannon)", await countedPicks(() => autocannonLoad({ url: pickPath, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "cheese", quantity: 1 }) }))]);
  results.push([`Pick, gRPC (h2c, ${h2c})`, await countedPicks(() => (useH2load ? h2load(pickPath, encodeEnvelope(0, pickBytes), { "content-type": "application/grpc", te: "trailers" }, CLIENTS, SECONDS) : closedLoop(CLIENTS, SECONDS, () => grpc.pick(pick))))]);
  results.push(["Pick, REST GET /pick (autocannon)", await countedPicks(() => autocannonLoad({ url: `${chillybin.url}/pick?name=cheese&quantity=1` }))]);
  const toastie = create(MakeToastieRequestSchema, { ingredients: ["cheese"] });
  const toasties = createClient(JafflrService, createConnectTransport({ baseUrl: jafflrUrl, httpVersion: "2", useBinaryFormat: true }));
  results.push([
    `Toasties: bread ×2 + cheese, one PickOrder (h2c, ${h2c})`,
    useH2load ? await h2load(`${jafflrUrl}/jafflr.v1.JafflrService/MakeToastie`, toBinary(MakeToastieRequestSchema, toastie), { "content-type": "application/proto" }, CLIENTS, SECONDS) : await closedLoop(CLIENTS, SECONDS, () => toasties.makeToastie(toastie)),
  ]);

  console.log(`${CLIENTS} clients, ${SECONDS} s each, one hot row; ${chillybin.database}`);
  console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}\n`);
  console.log(`${"".padEnd(56)}${"per s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"errors".padStart(8)}${"× ceiling".padStart(11)}`);
  for (const [name, f] of results) {
    console.log(`${name.padEnd(56)}${f.perSecond.toFixed(0).padStart(9)}${f.p50Ms.toFixed(1).padStart(9)}${f.p99Ms.toFixed(1).padStart(9)}${String(f.errors).padStart(8)}${(f.perSecond / ceiling.perSecond).toFixed(2).padStart(11)}`);
  }
  const rest = results.find(([n]) => n.startsWith("Pick, REST"))![1];
  const connectJson = results.find(([n]) => n.startsWith("Pick, Connect JSON"))![1];
  console.log(`\nREST / Connect JSON: ${(rest.perSecond / connectJson.perSecond).toFixed(2)} (target ≥ 0.85)`);
  console.log(`resident memory: chillybin ${rssMb(chillybin.process.child.pid).toFixed(0)} MB, jafflr ${rssMb(jafflr.child.pid).toFixed(0)} MB (target < 150 MB each)`);
} finally {
  await jafflr.stop("SIGTERM");
  await chillybin.stop();
  rmSync(bundles, { recursive: true, force: true });
}
