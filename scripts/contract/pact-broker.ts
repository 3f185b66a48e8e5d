// The Pact Broker that decides every deploy, run on this machine: the
// pact_broker gem (ops/pact-broker: Gemfile, Gemfile.lock, config.ru) under
// puma on 127.0.0.1. `npm run broker` and the contract tests both start it
// through here, so the tests run exactly what a developer runs.
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { commandRuns, type RunningProcess, runProcess } from "../support/processes.js";

const BROKER_DIR = new URL("../../ops/pact-broker/", import.meta.url).pathname;

/** Bundler's settings for the broker's gems: that Gemfile, its lock as committed, gems under vendor/bundle there. */
export const BUNDLER_ENV: Readonly<Record<string, string>> = {
  BUNDLE_GEMFILE: path.join(BROKER_DIR, "Gemfile"),
  BUNDLE_PATH: path.join(BROKER_DIR, "vendor/bundle"),
  BUNDLE_FROZEN: "true",
};

/** What to install when Ruby is missing, said the same way wherever the broker is needed. */
export const RUBY_MISSING =
  "the Pact Broker (the pact_broker gem) needs Ruby 3.1+ with Bundler and a C compiler with Ruby's headers; " +
  "on Debian: apt-get install ruby-full ruby-bundler build-essential";

/** Runs bundler on the broker's Gemfile, giving each line it writes to `echo`; answers its exit code. */
async function bundle(args: string[], echo: (line: string) => void): Promise<number> {
  return (await runProcess("bundle", args, { cwd: BROKER_DIR, env: BUNDLER_ENV, onLine: echo }).exited) ?? 1;
}

/**
 * Installs the gems Gemfile.lock names unless they are there already
 * (`bundle check`), printing bundler's progress through `echo`. Throws,
 * naming what to install, when Ruby or Bundler is missing.
 */
export async function installPactBroker(echo: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<void> {
  if (!commandRuns("ruby", ["--version"]) || !commandRuns("bundle", ["--version"])) throw new Error(RUBY_MISSING);
  if ((await bundle(["check"], () => {})) === 0) return;
  echo("installing the Pact Broker's gems (ops/pact-broker/Gemfile.lock) into ops/pact-broker/vendor/bundle: minutes the first time");
  const code = await bundle(["install", "--jobs", "4"], echo);
  if (code !== 0) throw new Error(`bundle install for ops/pact-broker failed (exit ${code}); see its output above. ${RUBY_MISSING}`);
}

export interface PactBrokerOptions {
  /** 0 (the default) for any free port. */
  port?: number;
  /** Where its SQLite database lives (created if missing); ignored when databaseUrl is given. */
  dataDir: string;
  /** A PostgreSQL database instead (postgres://user@host:port/name). */
  databaseUrl?: string;
  /** Gives every line the broker writes, for a terminal or a test's report. */
  onLine?: (line: string) => void;
}

export interface RunningPactBroker {
  url: string;
  process: RunningProcess;
  /** Stops it gracefully (SIGTERM), answering its exit code. */
  stop(): Promise<number | null>;
}

/** The broker's database settings, in the gem's own PACT_BROKER_DATABASE_* variables. */
function databaseEnv(options: PactBrokerOptions): Record<string, string | undefined> {
  if (options.databaseUrl) return { PACT_BROKER_DATABASE_URL: options.databaseUrl };
  mkdirSync(options.dataDir, { recursive: true });
  return {
    PACT_BROKER_DATABASE_URL: undefined, // the gem would prefer an inherited one
    PACT_BROKER_DATABASE_ADAPTER: "sqlite",
    PACT_BROKER_DATABASE_NAME: path.resolve(options.dataDir, "pact_broker.sqlite3"),
  };
}

/**
 * Starts a Pact Broker on 127.0.0.1 (its gems must be installed: see
 * installPactBroker), answering once it serves requests.
 */
export async function startPactBroker(options: PactBrokerOptions): Promise<RunningPactBroker> {
  const broker = runProcess("bundle", ["exec", "puma", "--bind", `tcp://127.0.0.1:${options.port ?? 0}`, "--environment", "production", "config.ru"], {
    cwd: BROKER_DIR,
    env: { ...BUNDLER_ENV, ...databaseEnv(options) },
    onLine: options.onLine,
  });
  const stop = () => broker.stop("SIGTERM");
  try {
    // Puma names the port it bound (the one asked for, or the one the system chose for 0).
    const listening = await broker.waitForLine(/Listening on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const url = `http://${/127\.0\.0\.1:\d+/.exec(listening)![0]}`;
    const heartbeat = await fetch(`${url}/diagnostic/status/heartbeat`);
    if (!heartbeat.ok) throw new Error(`the broker's heartbeat answered ${heartbeat.status}`);
    return { url, process: broker, stop };
  } catch (error) {
    await stop();
    throw new Error(`the Pact Broker did not start: ${(error as Error).message}`);
  }
}
