// One service → one runnable artifact: dist/<service>/main.mjs (every module,
// shared code and dependencies included), its compiled migrations beside it
// in migrations/<service>/, and the embedded PostgreSQL's wasm and data files,
// which PGlite loads from next to the module that runs it.
import { readFileSync } from "node:fs";
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { build, type BuildOptions, type Metafile } from "esbuild";
import { BUNDLE_MAIN, migrationsOf, programsOf, SERVICES, type ServiceName } from "./services.js";

// PGlite finds these with new URL("./…", import.meta.url): in a bundle, the bundle's folder.
const PGLITE_ASSETS = ["pglite.wasm", "initdb.wasm", "pglite.data"];

/**
 * esbuild's target: the oldest Node that package.json's `engines` admits
 * (">=22.12" → "node22.12"), so a bundle runs on every supported runtime.
 */
export function nodeTarget(root: string): string {
  const { engines } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { engines?: { node?: string } };
  const oldest = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engines?.node ?? "")?.[1];
  if (!oldest) throw new Error(`package.json engines.node must read ">=<version>", not ${JSON.stringify(engines?.node)}`);
  return `node${oldest}`;
}

function bundleOptions(service: ServiceName, root: string): BuildOptions {
  return {
    absWorkingDir: root,
    // main.mjs, and each program the service runs as a process of its own under its own name.
    entryPoints: {
      [path.basename(BUNDLE_MAIN, ".mjs")]: SERVICES[service].entry,
      // "./": a bare "lib/…" would be taken for a package's name, which packages: "external" refuses as an entry.
      ...Object.fromEntries(programsOf(service).map((program) => [path.basename(program, path.extname(program)), `./${program}`])),
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: nodeTarget(root),
    metafile: true,
    // pg tries this optional native driver and falls back to JavaScript without it.
    external: ["pg-native"],
    logLevel: "warning",
  };
}

/**
 * The bundle's import graph: every repository file that goes into the
 * service. Packages are left out (the lockfile pins them), which also spares
 * esbuild parsing them: npm start computes this for both services before
 * starting them.
 */
export async function importGraph(service: ServiceName, root: string): Promise<Metafile> {
  // Silent: a source that does not build rejects with esbuild's errors in the message, and npm start's
  // build of the same sources prints them, so they are shown once.
  const result = await build({ ...bundleOptions(service, root), packages: "external", write: false, outdir: ".", logLevel: "silent" });
  return result.metafile!;
}

/** A service built: the folder to run `node main.mjs` in, and what went into it. */
export interface BuiltService {
  folder: string;
  /** Every file the bundle and its migrations were built from, relative to the root (packages' files too). */
  inputs: string[];
}

/**
 * Builds the service from `root` into `outdir` (dist/<service> by default),
 * the version baked in as the default of VERSION (the environment can still
 * override it).
 */
export async function buildService(service: ServiceName, root: string, version: string, outdir = path.join(root, "dist", service)): Promise<BuiltService> {
  await rm(outdir, { recursive: true, force: true });
  const bundled = await build({
    ...bundleOptions(service, root),
    // main.mjs, and beside it chunks for what is only imported on demand (the OpenTelemetry
    // SDK, loaded when OTEL_* configures an exporter): never read otherwise, so they cost no
    // start-up time or memory. Beside, not in a subfolder: PGlite finds its files next to the
    // module that runs it.
    outdir,
    entryNames: "[name]",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunk-[hash]",
    sourcemap: "linked",
    banner: {
      // CommonJS dependencies bundled into ESM still call require() for Node's builtins.
      js: [
        `import { createRequire as __createRequire } from "node:module";`,
        `const require = __createRequire(import.meta.url);`,
        `process.env.VERSION ||= ${JSON.stringify(version)};`,
      ].join("\n"),
    },
  });
  const migrations = await compileMigrations(service, root, outdir);
  const pglite = path.dirname(createRequire(path.join(root, "package.json")).resolve("@electric-sql/pglite"));
  for (const asset of PGLITE_ASSETS) await copyFile(path.join(pglite, asset), path.join(outdir, asset));
  await writeFile(path.join(outdir, "package.json"), `${JSON.stringify({ name: service, version: "0.0.0", private: true, type: "module" }, null, 2)}\n`);
  return { folder: outdir, inputs: [...new Set([...Object.keys(bundled.metafile!.inputs), ...migrations])].sort() };
}

/**
 * Migrations are loaded by file at run time: each compiles to its own module.
 * Answers what they were built from, and their folder (whose listing changes
 * when a migration is added).
 */
async function compileMigrations(service: ServiceName, root: string, outdir: string): Promise<string[]> {
  const migrations = migrationsOf(service);
  if (!migrations) return [];
  const source = path.join(root, migrations);
  // Beside the bundle, where migrationsFolder looks for them.
  const target = path.join(outdir, migrations);
  await mkdir(target, { recursive: true });
  const files = (await readdir(source)).filter((f) => f.endsWith(".ts"));
  const compiled = await build({
    absWorkingDir: root,
    entryPoints: files.map((f) => path.join(source, f)),
    outdir: target,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: nodeTarget(root),
    // A migration imports kysely for its `sql` helper; the bundle carries its own copy of that.
    metafile: true,
    logLevel: "warning",
  });
  return [migrations, ...Object.keys(compiled.metafile.inputs)];
}
