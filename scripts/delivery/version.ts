// A service's version: the last commit that touched anything it is built
// from, so CI rebuilds and deploys only the services a change reaches. What it
// is built from comes from the bundler's import graph (its own code, the shared
// code and generated code it imports), plus what the graph cannot show: the
// protos behind that generated code, its migrations, its own folder (Dockerfile
// and all), the lockfile, and how it is bundled.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { importGraph } from "./bundle.js";
import { migrationsOf, SERVICES, type ServiceName } from "./services.js";

const run = promisify(execFile);

/** Files that shape every service's artifact. */
export const SHARED_BUILD_INPUTS = ["package-lock.json", "scripts/delivery/bundle.ts", "scripts/delivery/services.ts"];

/** gen/<path>_pb.ts is generated from proto/<path>.proto (when the proto is ours, not a dependency's). */
function protoOf(generated: string, root: string): string | undefined {
  const match = /^gen\/(.+)_pb\.ts$/.exec(generated);
  const proto = match && `proto/${match[1]}.proto`;
  return proto && existsSync(path.join(root, proto)) ? proto : undefined;
}

/** Every repository path the service is built from, sorted. */
export async function dependencyClosure(service: ServiceName, root: string): Promise<string[]> {
  const graph = await importGraph(service, root);
  // Dependencies' code is pinned by the lockfile; a path outside the root is a linked node_modules.
  const ours = Object.keys(graph.inputs).filter((file) => !file.split("/").includes("node_modules") && !file.startsWith(".."));
  const protos = ours.map((file) => protoOf(file, root)).filter((p): p is string => p !== undefined);
  const migrations = migrationsOf(service);
  const own = [path.dirname(SERVICES[service].entry), ...(migrations ? [migrations] : [])];
  return [...new Set([...ours, ...protos, ...own, ...SHARED_BUILD_INPUTS])].sort();
}

/**
 * The last commit touching the closure (`git rev-list -1 HEAD -- …`), with
 * "-dirty" when the working tree changes any of it: such a build is not that commit.
 */
export async function serviceVersion(service: ServiceName, root: string): Promise<string> {
  const paths = await dependencyClosure(service, root);
  const git = (args: string[]) => run("git", args, { cwd: root, maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout.trim());
  const commit = await git(["rev-list", "-1", "HEAD", "--", ...paths]);
  if (!commit) throw new Error(`no commit touches ${service}'s files: is ${root} a git checkout with history?`);
  const dirty = await git(["status", "--porcelain", "--untracked-files=no", "--", ...paths]);
  return dirty ? `${commit}-dirty` : commit;
}
