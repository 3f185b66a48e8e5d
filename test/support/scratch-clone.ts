import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ScratchClone {
  dir: string;
  /** git in the clone, as a test author who may commit; answers stdout, trimmed. */
  git(...args: string[]): Promise<string>;
  /** A script of the clone run with node --import tsx; answers stdout, trimmed. */
  runScript(script: string, ...args: string[]): Promise<string>;
  remove(): void;
}

/**
 * A clone of this repository's HEAD in a temporary directory, sharing its
 * node_modules, for tests that commit changes and watch what follows.
 */
export async function scratchClone(prefix: string): Promise<ScratchClone> {
  const repo = process.cwd();
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  await run("git", ["clone", "-q", repo, dir]);
  symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"));
  return {
    dir,
    git: async (...args) => (await run("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd: dir })).stdout.trim(),
    runScript: async (script, ...args) => (await run(process.execPath, ["--import", "tsx", script, ...args], { cwd: dir })).stdout.trim(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
