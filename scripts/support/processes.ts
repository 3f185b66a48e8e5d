import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export interface RunningProcess {
  child: ChildProcess;
  /** Every line written so far, stdout and stderr. */
  lines: string[];
  /** Waits for a line matching `pattern` and answers it. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and answers the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Runs a TypeScript entry point the way the npm scripts do: node --import tsx. */
export function runTs(entry: string, env: Record<string, string>, args: string[] = []): RunningProcess {
  return runProcess(process.execPath, ["--import", "tsx", entry, ...args], { env });
}

/** Runs a program with extra environment variables, collecting its output lines. */
export function runProcess(
  program: string,
  args: string[],
  /** env: added to this process's; a variable given as undefined is left out. */
  options: { env?: Record<string, string | undefined>; cwd?: string; onLine?: (line: string) => void } = {},
): RunningProcess {
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      options.onLine?.(line);
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; saw:\n${lines.join("\n")}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() =>
          setTimeout(() => {
            if (!waiters.has(check)) return;
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`exited before a line matching ${pattern}; saw:\n${lines.join("\n")}`));
          }, 50),
        );
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The port from a service's "listening" log line. */
export function listeningPort(line: string): number {
  return (JSON.parse(line.replace(/^[^{]*/, "")) as { port: number }).port;
}

/** Whether a program is installed: it runs with `versionArgs` (which only print its version). */
export function commandRuns(command: string, versionArgs: string[]): boolean {
  try {
    execFileSync(command, versionArgs, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A process's resident memory now (Linux's VmRSS), in MB. */
export function residentMemoryMb(pid: number | undefined): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN) / 1024;
}
