// `npm start`: runs chillybin and jafflr, one process each, with every log line
// prefixed by the service. Ctrl-C (or SIGTERM) stops both gracefully; if one
// service exits on its own, the other is stopped too.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { SERVICE_NAMES, type ServiceName } from "./delivery/services.js";
import { serviceVersion } from "./delivery/version.js";

const SERVICES = SERVICE_NAMES;
const width = Math.max(...SERVICES.map((s) => s.length));

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream): void {
  createInterface({ input: stream }).on("line", (line) => out.write(`${prefix} | ${line}\n`));
}

/** VERSION if set, else the service's version from git (see npm run version), else "dev". */
async function versionOf(service: ServiceName): Promise<string> {
  return process.env.VERSION || (await serviceVersion(service, process.cwd()).catch(() => "dev"));
}

/**
 * Where the services keep V8's compiled code between starts (Node's module
 * compile cache, keyed by each file's contents, so a changed file is simply
 * compiled again): a restart then skips compiling the ~1,000 modules a
 * service loads (npm run bench:start). Under node_modules/, which git ignores.
 */
const COMPILE_CACHE = process.env.NODE_COMPILE_CACHE || "node_modules/.cache/toasties-galore/compile-cache";

function start(service: ServiceName, version: string): ChildProcess {
  // detached: the children get no Ctrl-C from the terminal directly; this
  // launcher forwards exactly one signal, so no service sees it twice.
  const child = spawn(process.execPath, ["--import", "tsx", `services/${service}/main.ts`], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    // The children write to this launcher, not to the terminal: say whether a person reads it.
    env: {
      ...process.env,
      NODE_COMPILE_CACHE: COMPILE_CACHE,
      VERSION: version,
      LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? "pretty" : "json"),
    },
  });
  const prefix = service.padEnd(width);
  prefixLines(child.stdout!, prefix, process.stdout);
  prefixLines(child.stderr!, prefix, process.stderr);
  return child;
}

const versions = await Promise.all(SERVICES.map(versionOf));
const children = SERVICES.map((service, i) => start(service, versions[i]!));
let stopping = false;
let failed = false;

function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}

process.on("SIGINT", () => stopAll("SIGINT"));
process.on("SIGTERM", () => stopAll("SIGTERM"));

await Promise.all(
  children.map(
    (child, i) =>
      new Promise<void>((resolve) =>
        child.once("exit", (code, signal) => {
          if (code !== 0) {
            failed = true;
            process.stderr.write(`${SERVICES[i]} exited with ${signal ?? `code ${code}`}\n`);
          }
          stopAll("SIGTERM");
          resolve();
        }),
      ),
  ),
);
process.exit(failed ? 1 : 0);
