import { execFileSync, spawn } from "node:child_process";

/** The official Pact CLI's broker client (@pact-foundation/pact-cli), as installed by npm ci. */
const PACT_BROKER = new URL("../../node_modules/.bin/pact-broker", import.meta.url).pathname;

/** Runs `pact-broker <args>` with the broker settings from the environment, echoing its output unless told not to. */
export function pactBroker(args: string[], options: { echo?: boolean } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PACT_BROKER, args, { stdio: ["ignore", "pipe", "pipe"] });
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

/** The broker settings, or a clear error when they are missing. */
export function brokerSettings(): { url: string; token?: string } {
  const url = process.env.PACT_BROKER_BASE_URL;
  if (!url) throw new Error("PACT_BROKER_BASE_URL is not set: the broker workflow needs a Pact Broker (and PACT_BROKER_TOKEN if it asks for one)");
  return { url, token: process.env.PACT_BROKER_TOKEN || undefined };
}

/** The git branch versions are published on: GIT_BRANCH, or the checked-out branch. */
export function gitBranch(): string {
  return process.env.GIT_BRANCH || execFileSync("git", ["rev-parse", "--abbrev-ref", "HEAD"], { encoding: "utf8" }).trim();
}
