// npm start's bundles (scripts/delivery/start-bundles.ts): built once, reused
// while nothing they are built from changes, rebuilt when something does. Runs
// on a copy of the sources (the repository's node_modules linked in), so that
// changing a file here cannot touch the working tree other tests build from.
import assert from "node:assert/strict";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runProcess } from "../../scripts/support/processes.js";
import { startBundle } from "../../scripts/delivery/start-bundles.js";
import type { ServiceName } from "../../scripts/delivery/services.js";

/** What a service's bundle is built from, and how it is built. */
const SOURCES = ["package.json", "package-lock.json", "tsconfig.json", "lib", "gen", "services", "migrations", "scripts/delivery"];

describe("npm start's bundles", function () {
  this.timeout(120_000);
  let root: string;
  let cache: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "start-bundles-"));
    // Their times kept: a file saved in the second before a build is taken as possibly not in it.
    for (const source of SOURCES) cpSync(source, path.join(root, source), { recursive: true, preserveTimestamps: true });
    symlinkSync(path.resolve("node_modules"), path.join(root, "node_modules"));
    cache = path.join(root, "bundles"); // not under the linked node_modules: that is the repository's
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const mainOf = (folder: string) => readFileSync(path.join(folder, "main.mjs"), "utf8");

  it("builds on the first start and reuses that bundle while nothing it is built from changes", async () => {
    const first = await startBundle("jafflr", root, cache);
    assert.equal(first.built, true);
    assert.ok(existsSync(path.join(first.folder, "main.mjs")));
    // A file the service does not import changes nothing.
    writeFileSync(path.join(root, "lib", "not-imported.ts"), "export const unused = 1;\n");
    const again = await startBundle("jafflr", root, cache);
    assert.deepEqual(again, { folder: first.folder, built: false });
  });

  /** Dates files as saved a minute ago: a change made in the second before a build counts as perhaps not in it (below). */
  const savedAMinuteAgo = (...files: string[]) => {
    const then = new Date(Date.now() - 60_000);
    for (const file of files) utimesSync(path.join(root, file), then, then);
  };

  const changes: { what: string; service: ServiceName; change: () => void; inBundle?: string }[] = [
    {
      what: "a source file it imports is edited",
      service: "jafflr",
      change: () => {
        appendFileSync(path.join(root, "lib", "logger.ts"), 'console.log("edited since the last start");\n');
        savedAMinuteAgo("lib/logger.ts");
      },
      inBundle: "edited since the last start",
    },
    {
      what: "a migration is added",
      service: "chillybin",
      change: () => {
        writeFileSync(
          path.join(root, "migrations", "chillybin", "9999_added_since.ts"),
          'import { sql, type Kysely } from "kysely";\nexport async function up(db: Kysely<unknown>): Promise<void> {\n  await sql`select 9999`.execute(db);\n}\n',
        );
        savedAMinuteAgo("migrations/chillybin/9999_added_since.ts", "migrations/chillybin");
      },
    },
    {
      what: "how it is bundled changes (package.json)",
      service: "jafflr",
      change: () => {
        appendFileSync(path.join(root, "package.json"), "\n");
        savedAMinuteAgo("package.json");
      },
    },
    { what: "a file it imports is saved again unchanged", service: "jafflr", change: () => savedAMinuteAgo("gen/jafflr/v1/jafflr_pb.ts") },
  ];
  for (const { what, service, change, inBundle } of changes)
    it(`builds again when ${what}, removes the bundle it replaces, and reuses the new one`, async () => {
      const before = await startBundle(service, root, cache);
      change();
      const after = await startBundle(service, root, cache);
      assert.equal(after.built, true);
      assert.notEqual(after.folder, before.folder);
      assert.equal(existsSync(before.folder), false, "the replaced bundle is removed");
      if (inBundle) assert.ok(mainOf(after.folder).includes(inBundle));
      assert.deepEqual(await startBundle(service, root, cache), { folder: after.folder, built: false });
    });

  it("a migration added is in the new bundle", async () => {
    await startBundle("chillybin", root, cache);
    changes.find((c) => c.what === "a migration is added")!.change();
    const after = await startBundle("chillybin", root, cache);
    assert.ok(existsSync(path.join(after.folder, "migrations", "chillybin", "9999_added_since.mjs")));
  });

  it("a file saved just before a build (perhaps while esbuild ran) makes the next start build again", async () => {
    await startBundle("jafflr", root, cache);
    appendFileSync(path.join(root, "lib", "logger.ts"), 'console.log("saved just now");\n');
    const first = await startBundle("jafflr", root, cache);
    assert.ok(mainOf(first.folder).includes("saved just now"));
    const second = await startBundle("jafflr", root, cache);
    assert.equal(second.built, true, "the build that may have missed the save is not trusted");
    assert.ok(mainOf(second.folder).includes("saved just now"));
  });

  it("a service that does not build fails the start and leaves no folder behind; once mended, it builds", async () => {
    const logger = path.join(root, "lib", "logger.ts");
    const source = readFileSync(logger, "utf8");
    writeFileSync(logger, `${source}export const broken = ;\n`);
    await assert.rejects(startBundle("jafflr", root, cache), /Build failed/);
    assert.deepEqual(readdirSync(cache), []);
    writeFileSync(logger, source);
    assert.equal((await startBundle("jafflr", root, cache)).built, true);
  });

  it("the versions' import graph of a service that does not build rejects with esbuild's errors and prints nothing (npm start's build prints them, once)", async () => {
    appendFileSync(path.join(root, "lib", "logger.ts"), "export const broken = ;\n");
    const bundleModule = pathToFileURL(path.resolve("scripts/delivery/bundle.ts")).href;
    const script = `
      import { importGraph } from ${JSON.stringify(bundleModule)};
      await importGraph("jafflr", ${JSON.stringify(root)}).then(() => console.log("built"), (error) => console.log("rejected: " + error.message.replaceAll("\\n", " | ")));
    `;
    const child = runProcess(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env: {} });
    assert.equal(await child.exited, 0);
    assert.equal(child.lines.length, 1, child.lines.join("\n"));
    assert.match(child.lines[0]!, /^rejected: Build failed with 1 error: \| lib\/logger\.ts:\d+:\d+: ERROR: /);
  });

  it("builds again when its bundle folder is gone", async () => {
    const before = await startBundle("jafflr", root, cache);
    rmSync(before.folder, { recursive: true });
    const after = await startBundle("jafflr", root, cache);
    assert.equal(after.built, true);
    assert.ok(existsSync(path.join(after.folder, "main.mjs")));
  });

  it("two starts building at once each get a whole bundle, and the next start reuses one of them", async () => {
    const [a, b] = await Promise.all([startBundle("jafflr", root, cache), startBundle("jafflr", root, cache)]);
    assert.notEqual(a.folder, b.folder);
    for (const started of [a, b]) assert.ok(mainOf(started.folder).length > 0);
    const next = await startBundle("jafflr", root, cache);
    assert.equal(next.built, false);
    assert.ok([a.folder, b.folder].includes(next.folder));
  });
});
