// What ships (lib/, services/, scripts/, gen/, migrations/) never imports
// tests: scripts that need what tests need (ports, processes, scratch
// databases, provider states) get it from scripts/support and scripts/contract.
// And no module imports itself round a circle: each can be read, tested and
// replaced on its own.
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
});
