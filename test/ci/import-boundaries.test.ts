// What ships (lib/, services/, scripts/, gen/, migrations/) never imports
// tests: scripts that need what tests need (ports, processes, scratch
// databases, provider states) get it from scripts/support and scripts/contract.
// No module imports itself round a circle: each can be read, tested and
// replaced on its own. lib/ is shared code: it imports no service and no
// script, and neither service imports the other (they meet only over RPC,
// through the generated code). A folder with an index.ts is used through it
// from outside. And test/lib mirrors lib/.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const SHIPPED = ["lib", "services", "scripts", "gen", "migrations"];

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(full);
    else if (entry.name.endsWith(".ts")) yield full;
  }
}

/** The relative module specifiers a file imports or re-exports, static or dynamic. */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)) found.push(m[1]!);
  return found;
}

/** Each shipped module → the shipped modules it imports (any kind of import). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const root of SHIPPED) {
    for (const file of typescriptFiles(root)) {
      const targets = relativeImports(readFileSync(file, "utf8"))
        .map((specifier) => path.relative(".", path.resolve(path.dirname(file), specifier)).replace(/\.js$/, ".ts"))
        .filter((target) => existsSync(target));
      graph.set(file, targets);
    }
  }
  return graph;
}

/** The circles of a graph: its strongly connected components with more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("import boundaries", () => {
  it("finds circles, and only circles", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["d"]],
    ]);
    assert.deepEqual(circles(graph), [["a", "b", "c"]]);
  });

  it("no module of lib/, services/, scripts/, gen/ or migrations/ imports itself round a circle (type-only imports count)", () => {
    assert.deepEqual(circles(importGraph()), []);
  });

  it("finds static, type-only, side-effect and dynamic imports and re-exports", () => {
    const source = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      'import "./side-effect.js";',
      'const c = await import("./c.js");',
      'export { d } from "../../d.js";',
      'import x from "node:fs";',
    ].join("\n");
    assert.deepEqual(relativeImports(source), ["./a.js", "../b.js", "./side-effect.js", "./c.js", "../../d.js"]);
  });

  for (const root of SHIPPED) {
    it(`${root}/ imports nothing from test/`, () => {
      const offenders: string[] = [];
      for (const file of typescriptFiles(root)) {
        for (const specifier of relativeImports(readFileSync(file, "utf8"))) {
          const target = path.relative(".", path.resolve(path.dirname(file), specifier));
          if (target.split(path.sep)[0] === "test") offenders.push(`${file} → ${specifier}`);
        }
      }
      assert.deepEqual(offenders, []);
    });
  }

  // Connect marks everything in its protocol subpaths @private (no semver): one module names what is used, and why.
  it("only lib/connect-internals.ts imports values from Connect's protocol internals (@connectrpc/connect/protocol*)", () => {
    const offenders: string[] = [];
    for (const root of SHIPPED) {
      for (const file of typescriptFiles(root)) {
        if (file === path.join("lib", "connect-internals.ts")) continue;
        for (const m of readFileSync(file, "utf8").matchAll(/^(import|export)(\s+type)?[^;]*?from\s*["'](@connectrpc\/connect\/protocol[^"']*)["']/gms)) {
          if (!m[2]) offenders.push(`${file} → ${m[3]}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  /** Each import of a shipped file as [importer, imported file], both relative to the repository. */
  const shippedImports = (): Array<[string, string]> =>
    [...importGraph()].flatMap(([file, targets]) => targets.map((target): [string, string] => [file, target]));
  const top = (file: string, depth: number) => file.split(path.sep).slice(0, depth).join("/");

  it("lib/ imports nothing from services/ or scripts/", () => {
    const offenders = shippedImports().filter(([from, to]) => top(from, 1) === "lib" && ["services", "scripts"].includes(top(to, 1)));
    assert.deepEqual(offenders, []);
  });

  it("neither service imports the other", () => {
    const offenders = shippedImports().filter(([from, to]) => top(from, 1) === "services" && top(to, 1) === "services" && top(from, 2) !== top(to, 2));
    assert.deepEqual(offenders, []);
  });

  it("finds an import past a folder's index.ts, and only that", () => {
    const indexed = new Set(["lib/a", "lib/a/b"]);
    assert.equal(pastIndex("lib/x.ts", "lib/a/one.ts", indexed), "lib/a");
    assert.equal(pastIndex("lib/x.ts", "lib/a/index.ts", indexed), undefined);
    assert.equal(pastIndex("lib/a/one.ts", "lib/a/two.ts", indexed), undefined);
    assert.equal(pastIndex("lib/a/one.ts", "lib/a/b/deep.ts", indexed), "lib/a/b");
    assert.equal(pastIndex("lib/a/b/deep.ts", "lib/a/one.ts", indexed), undefined);
    assert.equal(pastIndex("services/s.ts", "lib/a/b/index.ts", indexed), "lib/a");
  });

  it("a folder with an index.ts is imported through it from outside (lib/server/rpc/index.ts, not rpc-router.ts)", () => {
    const indexed = new Set(
      SHIPPED.flatMap((root) =>
        [...typescriptFiles(root)].filter((f) => path.basename(f) === "index.ts").map((f) => path.dirname(f).split(path.sep).join("/")),
      ),
    );
    const offenders = shippedImports().flatMap(([from, to]) => {
      const folder = pastIndex(from.split(path.sep).join("/"), to.split(path.sep).join("/"), indexed);
      return folder ? [`${from} → ${to} (import ${folder}/index.ts)`] : [];
    });
    assert.deepEqual(offenders, []);
  });

  it("test/lib mirrors lib/: every folder of tests has its folder of code", () => {
    const folders = [...typescriptFiles(path.join("test", "lib"))].map((f) => path.relative("test", path.dirname(f)));
    assert.deepEqual([...new Set(folders.filter((folder) => !existsSync(folder)))], []);
  });
});

/**
 * The folder (with an index.ts) that an import from `from` to `to` reaches
 * past, or undefined: the outermost folder holding `to` but not `from`,
 * when it has an index.ts and `to` is not that index.
 */
function pastIndex(from: string, to: string, indexed: ReadonlySet<string>): string | undefined {
  const parts = to.split("/");
  for (let depth = 1; depth < parts.length; depth++) {
    const folder = parts.slice(0, depth).join("/");
    if (from.startsWith(`${folder}/`)) continue;
    if (!indexed.has(folder)) continue;
    return to === `${folder}/index.ts` ? undefined : folder;
  }
  return undefined;
}
