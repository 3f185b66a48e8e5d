// `npm run bench:rest`: requests/s for chillybin's Pick through the REST
// transcoder (GET /pick?…) against the same RPC called with Connect JSON, both
// over HTTP/1.1 keep-alive from autocannon, and the ratio (target ≥ 0.85).
// Figures, not a test: machines are noisy; rounds alternate to share the noise.
import autocannon from "autocannon";
import { cpus } from "node:os";
import { startBenchChillybin } from "./prepare-chillybin.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

const chillybin = await startBenchChillybin({ LOG_LEVEL: "warn" });
try {
  const rest = () => load({ url: `${chillybin.url}/pick?name=cheese&quantity=1`, method: "GET" });
  const connect = () =>
    load({
      url: `${chillybin.url}/chillybin.v1.ChillybinService/Pick`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "cheese", quantity: 1 }),
    });
  await load({ url: `${chillybin.url}/`, duration: 1 }); // warm up
  const results: Record<"rest" | "connect", Figures[]> = { rest: [], connect: [] };
  for (let round = 0; round < ROUNDS; round++) {
    results.rest.push(await rest());
    results.connect.push(await connect());
  }
  const mean = (list: Figures[], key: keyof Figures) => list.reduce((sum, f) => sum + f[key], 0) / list.length;
  console.log(`chillybin Pick, one hot row, ${CONNECTIONS} connections, ${ROUNDS}×${SECONDS}s each, ${chillybin.database}`);
  console.log(`machine: ${cpus().length}× ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`);
  for (const [name, list] of Object.entries(results)) {
    console.log(
      `${name.padEnd(8)} ${mean(list, "requestsPerSecond").toFixed(0).padStart(7)} req/s   p50 ${mean(list, "p50").toFixed(1)} ms   p99 ${mean(list, "p99").toFixed(1)} ms   errors ${mean(list, "errors")}`,
    );
  }
  const ratio = mean(results.rest, "requestsPerSecond") / mean(results.connect, "requestsPerSecond");
  console.log(`REST / Connect: ${ratio.toFixed(2)} (target ≥ 0.85)`);
} finally {
  await chillybin.stop();
}
