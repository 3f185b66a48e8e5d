// npm start runs each service from its bundle, the same artifact an image
// runs (npm run build), rather than from source through tsx: a bundle starts
// in well under half the time (tsx resolves and transforms each of the ~1,400
// modules a service loads on every start; PGlite's 450 KB module alone costs
// it 0.35 s). A bundle is built on the first start and again only when a file
// it was built from has changed; otherwise the last one is reused.
//
// Each build goes to a folder of its own, named in a small record beside it
// with every input's size and modification time. A build never overwrites the
// folder a running service was started from, and two launchers building at
// once each get a complete bundle (the record names the last one written).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildService } from "./bundle.js";
import type { ServiceName } from "./services.js";
import { SHARED_BUILD_INPUTS } from "./version.js";

/** Where npm start keeps its bundles (node_modules/, which git ignores, as Node's compile cache beside it). */
export const START_BUNDLES = "node_modules/.cache/toasties-galore/start-bundles";

/** Files a bundle is built from beyond its import graph: how it is bundled, and for which Node (package.json's engines). */
const BUILD_SETUP = [...SHARED_BUILD_INPUTS, "package.json"];

/** What a bundle was built from: each input's size and modification time, keyed by its path from the root. */
type Stamps = Record<string, string>;

interface BundleRecord {
  /** The bundle's folder, within the cache folder. */
  folder: string;
  stamps: Stamps;
}

/** A stamp no file has: the bundle is out of date the next time it is looked at. */
const OUT_OF_DATE = "out of date";

function stampOf(root: string, file: string, savedAfter = Infinity): string | undefined {
  try {
    const stat = statSync(path.join(root, file));
    return stat.mtimeMs >= savedAfter ? OUT_OF_DATE : `${stat.size}@${stat.mtimeMs}`;
  } catch {
    return undefined; // gone
  }
}

/** The files' stamps; one saved since `buildStarted` may not be in the bundle, so it gets a stamp that never matches. */
function stamp(root: string, files: readonly string[], buildStarted: number): Stamps {
  return Object.fromEntries(files.map((file) => [file, stampOf(root, file, buildStarted) ?? OUT_OF_DATE]));
}

function readRecord(file: string): BundleRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as BundleRecord;
  } catch {
    return undefined;
  }
}

/** Whether the recorded bundle is still there and nothing it was built from has changed since. */
function isCurrent(record: BundleRecord, root: string, cache: string): boolean {
  if (stampOf(cache, path.join(record.folder, "main.mjs")) === undefined) return false;
  return Object.entries(record.stamps).every(([file, was]) => stampOf(root, file) === was);
}

/** How a call to startBundle got its bundle. */
export interface StartBundle {
  /** The folder to run main.mjs from. */
  folder: string;
  /** False when the last bundle was still current and is reused. */
  built: boolean;
}

/**
 * The service's bundle for npm start, built from `root` if the last one is
 * out of date. `cache` is the folder bundles and their records live in.
 */
export async function startBundle(service: ServiceName, root: string, cache = path.join(root, START_BUNDLES)): Promise<StartBundle> {
  const recordFile = path.join(cache, `${service}.json`);
  const last = readRecord(recordFile);
  if (last && isCurrent(last, root, cache)) return { folder: path.join(cache, last.folder), built: false };

  mkdirSync(cache, { recursive: true });
  const folder = mkdtempSync(path.join(cache, `${service}-`));
  // Less a second: a file's modification time comes from a coarser clock than Date.now().
  const buildStarted = Date.now() - 1_000;
  // The version comes from the launcher's VERSION at run time; this is only the default baked in.
  const { inputs } = await buildService(service, root, "dev", folder).catch((error: unknown) => {
    rmSync(folder, { recursive: true, force: true }); // esbuild has said why (a syntax error, an import not found)
    throw error;
  });
  const record: BundleRecord = { folder: path.basename(folder), stamps: stamp(root, [...inputs, ...BUILD_SETUP], buildStarted) };
  const written = `${recordFile}.${process.pid}`;
  writeFileSync(written, `${JSON.stringify(record)}\n`);
  renameSync(written, recordFile); // whole, for a launcher reading it at the same moment
  removeOldBundles(service, cache, last?.folder, record.folder);
  return { folder, built: true };
}

/** A bundle folder no record names is removed once it is this old (a build another launcher raced, or one interrupted). */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/**
 * Removes the bundle the record named before (a service still running from it
 * has loaded what it needs at start-up), and other folders of the service
 * that no record names, once they are old enough not to be a build under way.
 */
function removeOldBundles(service: ServiceName, cache: string, previous: string | undefined, current: string): void {
  const remove = (folder: string) => rmSync(path.join(cache, folder), { recursive: true, force: true });
  if (previous) remove(previous); // never the current one: each build has a new folder
  for (const entry of readdirSync(cache)) {
    if (!entry.startsWith(`${service}-`) || entry === current) continue;
    const modified = statSync(path.join(cache, entry), { throwIfNoEntry: false })?.mtimeMs;
    if (modified !== undefined && Date.now() - modified > ORPHAN_AGE_MS) remove(entry);
  }
}
