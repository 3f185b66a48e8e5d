// The schema's patterns are matched with JavaScript's RegExp on ASCII text
// (schema-patterns.ts) for speed: this holds every such match to RE2's, the
// engine protovalidate's rules are written for, on generated and chosen text,
// and requires every pattern in proto/ to be listed (or it would silently take
// the slower way).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { ASCII_PATTERNS, re2Match, schemaPatternMatch } from "../../../../lib/server/interceptors/schema-patterns.js";

/** Every `pattern:` a .proto file under proto/ states, as the string the rule holds. */
function protoPatterns(dir = "proto"): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return protoPatterns(file);
    if (!entry.name.endsWith(".proto")) return [];
    // A proto string literal's escapes (\\, \") read as JSON's.
    return [...readFileSync(file, "utf8").matchAll(/\bpattern:\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  });
}

/** Text like requests carry and text at the edges of each pattern: spaces of every kind, line ends, punctuation, other scripts. */
const PIECES = ["a", "Z", "7", "é", "ж", "名", "٣", "😀", " ", "'", "-", "_", ".", "\t", "\n", "\r", "\f", "\v", "\u00a0", "\u2028", "\u3000", "\0", "~"];

describe("schema patterns: RegExp on ASCII, RE2 otherwise", () => {
  it("lists every pattern proto/ states", () => {
    const patterns = new Set(protoPatterns());
    assert.ok(patterns.size > 0, "no pattern found under proto/");
    for (const pattern of patterns) assert.ok(ASCII_PATTERNS.has(pattern), `proto/ states ${pattern}, which schema-patterns.ts does not list`);
  });

  for (const pattern of ASCII_PATTERNS.keys()) {
    it(`matches as RE2 does: ${pattern}`, () => {
      const text = fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.string({ unit: "binary", maxLength: 8 }),
        fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((pieces) => pieces.join("")),
      );
      fc.assert(
        fc.property(text, (against) => schemaPatternMatch(pattern, against) === re2Match(pattern, against)),
        { numRuns: 2_000, examples: [[""], ["cheese"], ["ham and cheese"], ["a  b"], [" a"], ["a "], ["a\n"], ["a\vb"], ["x\u00a0"]] },
      );
    });
  }

  const chosen: Array<{ pattern: string; against: string; matches: boolean }> = [
    { pattern: "^[\\p{L}\\p{N}]+([ '-][\\p{L}\\p{N}]+)*$", against: "o'brien-smith 2", matches: true },
    { pattern: "^[\\p{L}\\p{N}]+([ '-][\\p{L}\\p{N}]+)*$", against: "cheese ", matches: false },
    { pattern: "^[\\p{L}\\p{N}]+([ '-][\\p{L}\\p{N}]+)*$", against: "gouda_aged", matches: false },
    { pattern: "^[\\p{L}\\p{N}]+([ '-][\\p{L}\\p{N}]+)*$", against: "fromage affiné", matches: true }, // not ASCII: RE2
    { pattern: "^\\S(.*\\S)?$", against: "order 7\r\tok", matches: true }, // \r is no line end to RE2
    { pattern: "^\\S(.*\\S)?$", against: "two\nlines", matches: false },
    { pattern: "^\\S(.*\\S)?$", against: "\vx", matches: true }, // \v is no space to RE2
    { pattern: "^\\S(.*\\S)?$", against: "x\u00a0", matches: true }, // nor is a no-break space (not ASCII: RE2)
  ];
  for (const c of chosen) {
    it(`${JSON.stringify(c.against)} ${c.matches ? "matches" : "does not match"} ${c.pattern}`, () => {
      assert.equal(schemaPatternMatch(c.pattern, c.against), c.matches);
      assert.equal(re2Match(c.pattern, c.against), c.matches);
    });
  }

  it("matches a pattern it does not list with RE2", () => {
    assert.equal(schemaPatternMatch("^\\pN+\\z", "123"), true); // \z is RE2's, not JavaScript's
    assert.equal(schemaPatternMatch("^\\pN+\\z", "12a"), false);
  });
});
