// `npm start`: runs chillybin and jafflr, one process each, with every log line
// prefixed by the service. Ctrl-C (or SIGTERM) stops both gracefully; if one
// service exits on its own, the other is stopped too. Each runs from its
// bundle, built when its sources have changed (start-bundles.ts).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { BUNDLE_MAIN, NODE_FLAGS, SERVICE_NAMES, type ServiceName } from "./delivery/services.js";
import { startBundle } from "./delivery/start-bundles.js";
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
 * compile cache, keyed by each file's contents, so a rebuilt bundle is simply
 * compiled again): a restart then skips compiling what a service runs at
 * start-up (npm run bench:start). Under node_modules/, which git ignores.
 */
const COMPILE_CACHE = process.env.NODE_COMPILE_CACHE || "node_modules/.cache/toasties-galore/compile-cache";

function start(service: ServiceName, version: string, bundle: string): ChildProcess {
  // detached: the children get no Ctrl-C from the terminal directly; this
  // launcher forwards exactly one signal, so no service sees it twice.
  // With the V8 settings its image runs with (NODE_FLAGS).
  const child = spawn(process.execPath, [...NODE_FLAGS, path.join(bundle, BUNDLE_MAIN)], {
    // An IPC channel too, never used for messages: it closes if this launcher dies without passing a
    // signal on (SIGKILL), and each service then stops itself (onShutdownSignal) rather than live on
    // holding its port.
    stdio: ["ignore", "pipe", "pipe", "ipc"],
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

const [versions, bundles] = await Promise.all([
  Promise.all(SERVICES.map(versionOf)),
  Promise.all(
    SERVICES.map(async (service) => {
      const bundle = await startBundle(service, process.cwd()).catch(() => {
        // esbuild has printed the errors, with file and line; its stack adds nothing.
        process.stderr.write(`npm start: ${service} does not build (esbuild's errors above)\n`);
        process.exit(1);
      });
      if (bundle.built)
        console.log(`${service.padEnd(width)} | built ${path.relative(process.cwd(), bundle.folder)} (its sources changed since the last start)`);
      return bundle.folder;
    }),
  ),
]);
const children = SERVICES.map((service, i) => start(service, versions[i]!, bundles[i]!));
let stopping = false;
let failed = false;

function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}

process.on("SIGINT", () => stopAll("SIGINT"));
process.on("SIGTERM", () => stopAll("SIGTERM"));
// The terminal closed: its SIGHUP reaches this launcher, not the services (detached).
process.on("SIGHUP", () => stopAll("SIGTERM"));

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
