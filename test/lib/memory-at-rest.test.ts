import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Registry } from "prom-client";
import { ConfigError } from "../../lib/config.js";
import { keepMemoryAtRest, MemoryAtRest, type MemoryAtRestProbes, readMemoryAtRestAfter } from "../../lib/memory-at-rest.js";
import { runProcess } from "../../scripts/support/processes.js";

const MB = 1024 * 1024;
/** Three samples (6 s of two-second samples), under 1% busy on average and none at 10%, before a collection. */
const POLICY = { quietSamples: 3, quietUtilization: 0.01, busyUtilization: 0.1, growthBytes: 8 * MB };
/** One sample at `utilization`, seeing the heap at `heapMb`. */
const at = (utilization: number, heapMb = 60) => ({ utilization, heapMb });
/** `times` quiet samples in a row, each seeing the heap at `heapMb`. */
const quiet = (times: number, heapMb: number) => Array.from({ length: times }, () => ({ utilization: 0.001, heapMb }));

/** Probes that replay a script of samples: the loop's use and the heap's size at each, and what a collection leaves. */
function scripted(samples: Array<{ utilization: number; heapMb: number }>, afterCollectMb: number) {
  let i = -1;
  let collected = false;
  const collections: number[] = [];
  const probes: MemoryAtRestProbes = {
    utilization: () => {
      i += 1;
      collected = false;
      return samples[i]!.utilization;
    },
    heapBytes: () => (collected ? afterCollectMb : samples[i]!.heapMb) * MB,
    collect: () => {
      collected = true;
      collections.push(i);
    },
  };
  return { probes, collections };
}

describe("memory at rest (lib/memory-at-rest.ts)", () => {
  const cases: Array<{ name: string; samples: Array<{ utilization: number; heapMb: number }>; collectedAt: number[] }> = [
    {
      name: "once the loop has been quiet for the whole wait, the start-up's garbage is collected",
      samples: quiet(3, 35),
      collectedAt: [2],
    },
    {
      name: "never while the loop is busy, however much the heap grew, nor before the wait is over",
      samples: [{ utilization: 0.9, heapMb: 60 }, ...quiet(2, 70), { utilization: 0.5, heapMb: 70 }, ...quiet(3, 70)],
      collectedAt: [6],
    },
    {
      name: "once per quiet spell: the heap must grow again before the next",
      samples: [...quiet(3, 40), ...quiet(1, 20), ...quiet(1, 26), { utilization: 0.4, heapMb: 45 }, ...quiet(3, 45)],
      collectedAt: [2, 8],
    },
    {
      // A service left alone still answers Prometheus and its probes: a scrape is 10–25 ms of its loop.
      name: "a scrape in an idle spell does not hold it back, however busy the two seconds it fell in",
      samples: [at(0.001), at(0.025), at(0.001)],
      collectedAt: [2],
    },
    {
      name: "a trickle of calls, 1% of the loop or more on average over the wait, holds it back (exactly 1% too)",
      samples: [at(0.012), at(0.012), at(0.012), at(0.01), at(0.01), at(0.01)],
      collectedAt: [],
    },
    {
      name: "the wait slides: once the trickle stops, the last quiet samples are enough",
      samples: [at(0.03), at(0.03), at(0.001), at(0.001), at(0.001)],
      collectedAt: [4],
    },
    {
      name: "a sample at 10% is a burst of calls: the wait starts again after it",
      samples: [at(0.001), at(0.001), at(0.1), at(0.001), at(0.001), at(0.001)],
      collectedAt: [5],
    },
  ];
  for (const { name, samples, collectedAt } of cases)
    it(name, () => {
      const { probes, collections } = scripted(samples, 19);
      const logged: string[] = [];
      const reducer = new MemoryAtRest(probes, (m) => logged.push(m), POLICY);
      for (const _ of samples) reducer.sample();
      assert.deepEqual(collections, collectedAt);
      assert.equal(logged.length, collectedAt.length);
      for (const line of logged) assert.match(line, /^memory at rest: heap \d+\.\d → 19\.0 MB in \d+ ms$/);
    });

  const offs: Array<{ why: string; quietForMs: number | undefined; collect: (() => void) | undefined; says: string }> = [
    { why: "the runtime cannot collect (node without --expose-gc)", quietForMs: 30_000, collect: undefined, says: "node runs without --expose-gc" },
    { why: "an operator turned it off", quietForMs: undefined, collect: () => assert.fail("collected"), says: "MEMORY_AT_REST_AFTER=off" },
  ];
  for (const { why, quietForMs, collect, says } of offs)
    it(`does nothing, and says so once, where ${why}`, () => {
      const logged: string[] = [];
      const probes: MemoryAtRestProbes = { utilization: () => assert.fail("sampled"), heapBytes: () => 0, collect };
      keepMemoryAtRest({ log: (m) => logged.push(m), probes, quietForMs, intervalMs: 1 }).stop();
      assert.deepEqual(logged, [`memory at rest: off (${says})`]);
    });

  // Operators (and the bench, which waits for memory at rest before reading it) see each collection.
  const counted: Array<{ name: string; quietForMs: number | undefined; collections: number }> = [
    { name: "each collection it runs", quietForMs: 3, collections: 1 },
    { name: "0 while it is off", quietForMs: undefined, collections: 0 },
  ];
  for (const { name, quietForMs, collections } of counted)
    it(`memory_at_rest_collections_total counts ${name}`, async () => {
      const { probes, collections: done } = scripted([...quiet(3, 35), ...quiet(1_000, 20)], 19);
      const registry = new Registry();
      const running = keepMemoryAtRest({ log: () => {}, probes, quietForMs, intervalMs: 1, registry });
      try {
        for (const deadline = Date.now() + 5_000; quietForMs !== undefined && done.length === 0 && Date.now() < deadline; ) await sleep(5);
        assert.match(await registry.metrics(), new RegExp(`^memory_at_rest_collections_total ${collections}$`, "m"));
      } finally {
        running.stop();
      }
    });

  const settings: Array<[string | undefined, number | undefined]> = [
    [undefined, 30_000],
    ["", 30_000],
    ["90s", 90_000],
    ["5m", 300_000],
    ["off", undefined],
  ];
  for (const [value, ms] of settings)
    it(`MEMORY_AT_REST_AFTER=${JSON.stringify(value)} waits ${ms === undefined ? "forever" : `${ms} ms`}`, () =>
      assert.equal(readMemoryAtRestAfter({ MEMORY_AT_REST_AFTER: value }), ms));
  for (const value of ["soon", "30", "never"])
    it(`MEMORY_AT_REST_AFTER="${value}" stops start-up naming the variable and what it may be`, () =>
      assert.throws(
        () => readMemoryAtRestAfter({ MEMORY_AT_REST_AFTER: value }),
        (e: unknown) => e instanceof ConfigError && e.message === `MEMORY_AT_REST_AFTER must be a duration with its unit (90s, 5m) or "off", got "${value}"`,
      ));

  // The real thing: V8's own figures and gc(), in a node with --expose-gc whose heap a burst of allocation grew.
  it("in a real node with --expose-gc, gives back what a burst grew the heap by once the loop has been quiet for the wait", async function () {
    this.timeout(30_000);
    const script = `
      import { keepMemoryAtRest } from "./lib/memory-at-rest.ts";
      import { getHeapStatistics } from "node:v8";
      // A burst like a load's: calls' objects live a little while (a ring of the last 20,000), so the
      // young generation grows to its largest semi-spaces, which a regular major GC leaves committed.
      const ring = [];
      for (let i = 0; i < 2_000_000; i++) ring[i % 20_000] = { i, s: "call " + i };
      ring.length = 0;
      console.log("grown " + getHeapStatistics().total_heap_size);
      keepMemoryAtRest({ log: (m) => { console.log(m); console.log("after " + getHeapStatistics().total_heap_size); process.exit(0); }, quietForMs: 400, intervalMs: 200 });
      setTimeout(() => {}, 20_000);
    `;
    const child = runProcess(process.execPath, ["--max-semi-space-size=8", "--expose-gc", "--import", "tsx", "--input-type=module", "-e", script], { env: {} });
    try {
      const grown = Number((await child.waitForLine(/^grown \d+$/)).split(" ")[1]);
      await child.waitForLine(/^memory at rest: heap/, 20_000);
      const after = Number((await child.waitForLine(/^after \d+$/)).split(" ")[1]);
      assert.ok(grown - after >= 8 * MB, `the heap went from ${(grown / MB).toFixed(1)} to ${(after / MB).toFixed(1)} MB`);
      assert.equal(await child.exited, 0);
    } finally {
      await child.stop("SIGKILL");
    }
  });
});
