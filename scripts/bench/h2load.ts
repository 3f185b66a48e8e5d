// h2c load from h2load (Debian's nghttp2-client): a C load generator, so the
// client's cost does not sit on the figures the way a Node client's does.
// h2load reports only min/mean/max latency; its per-request log gives p50/p99.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { commandRuns } from "../support/processes.js";
import { figuresOf, type LoadFigures } from "./load.js";

const run = promisify(execFile);

export function h2loadAvailable(): boolean {
  return commandRuns("h2load", ["--version"]);
}

/**
 * `clients` connections, one stream each, POSTing `body` to `url` until
 * `requests` have been answered (a count, not a time: every request ends, so
 * the bench can compare the answers with the stock taken). Counts only 2xx
 * answers; gRPC's status is in trailers h2load does not read, so callers
 * check the effect as well.
 */
export async function h2load(url: string, body: Uint8Array, headers: Record<string, string>, clients: number, requests: number): Promise<LoadFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), "h2load-"));
  try {
    writeFileSync(path.join(dir, "body"), body);
    const args = ["-n", String(requests), "-c", String(clients), "-m", "1", "-t", "1", "-d", path.join(dir, "body"), "--log-file", path.join(dir, "log")];
    for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
    await run("h2load", [...args, url], { maxBuffer: 16 * 1024 * 1024 });
    // Each line: start time (µs), HTTP status, duration (µs).
    const rows = readFileSync(path.join(dir, "log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("\t").map(Number));
    const ok = rows.filter(([, status]) => status! >= 200 && status! < 300);
    const first = rows.reduce((min, [start]) => Math.min(min, start!), Infinity);
    const last = rows.reduce((max, [start, , us]) => Math.max(max, start! + us!), 0);
    const seconds = (last - first) / 1e6;
    return figuresOf(
      ok.map(([, , us]) => us! / 1000),
      rows.length - ok.length,
      seconds,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
