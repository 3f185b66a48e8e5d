// What one load run measured. `ok` is an exact count of calls answered OK,
// so that the bench can check it against what the database shows was taken.
export interface LoadFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Calls answered OK (for gRPC over h2load: HTTP 200, whatever grpc-status said: check the effect). */
  ok: number;
  errors: number;
}

/** The figures of a run from its OK latencies (ms), its error count and how long it took. */
export function figuresOf(latenciesMs: number[], errors: number, seconds: number): LoadFigures {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { perSecond: sorted.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), ok: sorted.length, errors };
}

/**
 * A fixed-time closed loop: `concurrency` workers call `call` back to back
 * for `seconds`. Every call started is awaited, so `ok` is exact.
 */
export async function closedLoop(concurrency: number, seconds: number, call: () => Promise<unknown>): Promise<LoadFigures> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const t0 = process.hrtime.bigint();
        try {
          await call();
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch {
          errors++;
        }
      }
    }),
  );
  return figuresOf(latencies, errors, Number(process.hrtime.bigint() - started) / 1e9);
}
