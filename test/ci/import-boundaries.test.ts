// What ships (lib/, services/, scripts/, gen/, migrations/) never imports
// tests: scripts that need what tests need (ports, processes, scratch
// databases, provider states) get it from scripts/support and scripts/contract.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
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

describe("import boundaries", () => {
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
});
