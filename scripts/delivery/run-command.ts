import { spawn } from "node:child_process";

/** Runs a command, its output going to ours, and answers its exit code; echoes it first, like a CI log. */
export function runCommand(program: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  console.log(`$ ${[program, ...args].join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: [options.input === undefined ? "ignore" : "pipe", "inherit", "inherit"], env: options.env ?? process.env });
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** Runs a command and answers its standard output; rejects when it fails. */
export function commandOutput(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${program} ${args[0] ?? ""}…: ${lastLine(err) || `exit ${code}`}`))));
  });
}

/** The last non-empty line: what most tools put their actual complaint on. */
function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim())
      .at(-1)
      ?.trim() ?? ""
  );
}
