// Gives memory back once a service has been left alone.
//
// Under load V8 grows the young generation to its largest semi-spaces and the
// old generation past what is live, and keeps both once the load stops: a
// chillybin that answered a burst of calls held ~145 MB for as long as it was
// left alone (measured over 40 s), ~35 MB of it heap holding nothing live.
// V8's own memory reducer, which returns that in a browser's idle tab, never
// ran in those 40 s in Node. A collection that reduces the footprint (the
// "last-resort" flavor of --expose-gc's gc(); a regular major GC frees the
// objects but keeps the space) gives it back, at ~60 ms of one core. It has a
// second price: the next burst of calls runs slower for its first seconds
// (measured: 2,000 gRPC Picks at ~55% of the rate, the next 6,000 at ~80%;
// p99 ~55 ms against ~30), while V8 grows the heap and warms up again. So it
// waits for a service to have been quiet for a while (MEMORY_AT_REST_AFTER,
// 30 s by default: the event loop's use, sampled every two seconds, under 1%
// on average over that time and under 10% in every sample), once per growth
// of the heap, and never while calls keep coming. The average, not every
// sample, because a service left alone still answers scrapes and probes: one
// Prometheus scrape of chillybin is 10–25 ms of its loop, over 1% of the
// two-second sample it falls in, and held it back for as long as it was
// scraped.
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { Counter, type Registry } from "prom-client";
import { ConfigError, type Env, readDuration, readOptionalString } from "./config.js";

/** What the reducer reads and does, injectable so its decisions can be tested without V8's timing. */
export interface MemoryAtRestProbes {
  /** The event loop's use since the previous call (0–1). */
  utilization(): number;
  /** The heap V8 holds (its total size, live or not). */
  heapBytes(): number;
  /** Collects garbage and gives the space back; undefined when the runtime cannot (node without --expose-gc). */
  collect: (() => void) | undefined;
}

export interface MemoryAtRestOptions {
  /** Where each collection is reported (the service's logger at debug level). */
  log: (message: string) => void;
  /** How long the loop must have been quiet (MEMORY_AT_REST_AFTER); undefined: never collect. */
  quietForMs: number | undefined;
  /** How often the event loop's use is sampled. */
  intervalMs?: number;
  /** Quiet: the event loop's use below this on average over the wait (health probes and scrapes, no traffic). */
  quietUtilization?: number;
  /** A sample at or above this use of the event loop is a burst of calls: the wait starts again after it. */
  busyUtilization?: number;
  /** How much the heap must have grown since the last collection for a new one to be worth its pause. */
  growthBytes?: number;
  probes?: MemoryAtRestProbes;
  /** Where memory_at_rest_collections_total is reported (the server's metrics). */
  registry?: Registry;
}

export const MEMORY_AT_REST_DEFAULTS = {
  quietForMs: 30_000,
  intervalMs: 2_000,
  quietUtilization: 0.01,
  busyUtilization: 0.1,
  growthBytes: 8 * 1024 * 1024,
} as const;

/** MEMORY_AT_REST_AFTER: a duration with its unit (30s by default), or "off" for never. */
export function readMemoryAtRestAfter(env: Env): number | undefined {
  if (readOptionalString(env, "MEMORY_AT_REST_AFTER") === "off") return undefined;
  try {
    return readDuration(env, "MEMORY_AT_REST_AFTER", MEMORY_AT_REST_DEFAULTS.quietForMs);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`MEMORY_AT_REST_AFTER must be a duration with its unit (90s, 5m) or "off", got "${readOptionalString(env, "MEMORY_AT_REST_AFTER")}"`);
  }
}

/** V8's own figures: the event loop's use between samples, the heap's total size, and gc() if exposed. */
export function runtimeProbes(): MemoryAtRestProbes {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const gc = globalThis.gc;
  return {
    utilization() {
      const now = performance.eventLoopUtilization();
      const since = performance.eventLoopUtilization(now, last);
      last = now;
      return since.utilization;
    },
    heapBytes: () => getHeapStatistics().total_heap_size,
    // Synchronous: the whole point is to finish before the next call arrives, not to overlap it.
    collect: gc && (() => gc({ type: "major", execution: "sync", flavor: "last-resort" })),
  };
}

/** Decides, sample by sample, when a collection is due (the policy, apart from the timer that drives it). */
export class MemoryAtRest {
  /** The heap's size after the last collection (0 before the first: the start-up's garbage counts as growth). */
  #baseline = 0;
  /** The event loop's use in the latest samples (at most `quietSamples`) since the last busy one, or the last collection. */
  #spell: number[] = [];
  #collections = 0;
  readonly #quietSamples: number;
  readonly #quietUtilization: number;
  readonly #busyUtilization: number;
  readonly #growthBytes: number;

  constructor(
    private readonly probes: MemoryAtRestProbes,
    private readonly log: (message: string) => void,
    options: { quietSamples: number; quietUtilization: number; busyUtilization: number; growthBytes: number },
  ) {
    this.#quietSamples = options.quietSamples;
    this.#quietUtilization = options.quietUtilization;
    this.#busyUtilization = options.busyUtilization;
    this.#growthBytes = options.growthBytes;
  }

  /** How many collections it has run. */
  get collections(): number {
    return this.#collections;
  }

  /**
   * One sample: collects once the last `quietSamples` samples, none of them
   * busy, were quiet on average, and the heap has grown enough. Answers whether it collected.
   */
  sample(): boolean {
    const collect = this.probes.collect;
    const utilization = this.probes.utilization();
    if (utilization >= this.#busyUtilization) {
      this.#spell = [];
      return false;
    }
    this.#spell.push(utilization);
    if (this.#spell.length > this.#quietSamples) this.#spell.shift();
    if (!collect || this.#spell.length < this.#quietSamples) return false;
    if (this.#spell.reduce((sum, u) => sum + u, 0) / this.#spell.length >= this.#quietUtilization) return false;
    const before = this.probes.heapBytes();
    if (before - this.#baseline < this.#growthBytes) return false;
    const started = performance.now();
    collect();
    this.#collections += 1;
    this.#spell = [];
    this.#baseline = this.probes.heapBytes();
    const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
    this.log(`memory at rest: heap ${mb(before)} → ${mb(this.#baseline)} MB in ${(performance.now() - started).toFixed(0)} ms`);
    return true;
  }
}

/**
 * Starts sampling (an unref'd timer: it never keeps the process alive).
 * Without --expose-gc (NODE_FLAGS in scripts/delivery/services.ts has it) there
 * is nothing to call, and it says so once. Answers a stop().
 */
export function keepMemoryAtRest(options: MemoryAtRestOptions): { stop(): void } {
  let collections = () => 0;
  // Counted from the start, 0 while off: a dashboard (or the bench, waiting for memory at rest) reads it either way.
  if (options.registry)
    new Counter({
      name: "memory_at_rest_collections_total",
      help: "Collections that gave memory back once the event loop had been quiet for MEMORY_AT_REST_AFTER.",
      registers: [options.registry],
      collect() {
        this.reset();
        this.inc(collections());
      },
    });
  if (options.quietForMs === undefined) {
    options.log("memory at rest: off (MEMORY_AT_REST_AFTER=off)");
    return { stop() {} };
  }
  const probes = options.probes ?? runtimeProbes();
  if (!probes.collect) {
    options.log("memory at rest: off (node runs without --expose-gc)");
    return { stop() {} };
  }
  const intervalMs = Math.min(options.intervalMs ?? MEMORY_AT_REST_DEFAULTS.intervalMs, options.quietForMs);
  const reducer = new MemoryAtRest(probes, options.log, {
    quietSamples: Math.max(1, Math.round(options.quietForMs / intervalMs)),
    quietUtilization: options.quietUtilization ?? MEMORY_AT_REST_DEFAULTS.quietUtilization,
    busyUtilization: options.busyUtilization ?? MEMORY_AT_REST_DEFAULTS.busyUtilization,
    growthBytes: options.growthBytes ?? MEMORY_AT_REST_DEFAULTS.growthBytes,
  });
  collections = () => reducer.collections;
  const timer = setInterval(() => reducer.sample(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
