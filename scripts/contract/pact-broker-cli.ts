import { execFileSync, spawn } from "node:child_process";

/** The official Pact CLI's broker client (@pact-foundation/pact-cli), as installed by npm ci. */
const PACT_BROKER = new URL("../../node_modules/.bin/pact-broker", import.meta.url).pathname;

/**
 * Runs `pact-broker <args>` with the broker settings from the environment
 * (this process's, plus `env`), echoing its output unless told not to.
 */
export function pactBroker(args: string[], options: { echo?: boolean; env?: Record<string, string> } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PACT_BROKER, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (options.echo !== false) process.stdout.write(chunk);
      });
    }
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Where the broker is and how to sign in: the variables the official CLI reads too. */
export interface BrokerSettings {
  url: string;
  token?: string;
  username?: string;
  password?: string;
}

/** The broker settings, or a clear error when they are missing. */
export function brokerSettings(): BrokerSettings {
  const url = process.env.PACT_BROKER_BASE_URL;
  if (!url)
    throw new Error(
      "PACT_BROKER_BASE_URL is not set: the broker workflow needs a Pact Broker (npm run broker starts one here; " +
        "PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD, if yours asks for them)",
    );
  const given = (name: string) => process.env[name] || undefined;
  return { url, token: given("PACT_BROKER_TOKEN"), username: given("PACT_BROKER_USERNAME"), password: given("PACT_BROKER_PASSWORD") };
}

/** The git branch versions are published on: GIT_BRANCH, or the checked-out branch. */
export function gitBranch(): string {
  return process.env.GIT_BRANCH || execFileSync("git", ["rev-parse", "--abbrev-ref", "HEAD"], { encoding: "utf8" }).trim();
}
