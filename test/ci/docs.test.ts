// The README stays a newcomer's page, and every link in it and in docs/
// leads somewhere: a file that exists and, with #anchor, a heading in it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const PAGES = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Relative links [text](target) outside code blocks and code spans. */
function linksOf(file: string): string[] {
  const text = readFileSync(file, "utf8")
    .replace(/```[\s\S]*?```/g, "")
    .replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

describe("docs", () => {
  it("slugs headings as GitHub does", () => {
    assert.equal(slug("Rules in the schema"), "rules-in-the-schema");
    assert.equal(slug("REST: the original paths"), "rest-the-original-paths");
    assert.equal(slug("Metrics (`GET /metrics`, Prometheus text format)"), "metrics-get-metrics-prometheus-text-format");
  });

  it("README.md is a page a newcomer reads through: at most 300 lines, depth in docs/", () => {
    assert.ok(readFileSync("README.md", "utf8").split("\n").length <= 300);
  });

  it("the README lists every page of docs/", () => {
    const readme = readFileSync("README.md", "utf8");
    for (const page of PAGES.filter((p) => p !== "README.md")) assert.ok(readme.includes(`](${page})`), page);
  });

  for (const page of PAGES) {
    it(`${page}: every relative link leads to a file, and its #anchor to a heading there`, () => {
      const broken: string[] = [];
      for (const link of linksOf(page)) {
        const [target, anchor] = link.split("#") as [string, string | undefined];
        const file = target ? path.join(path.dirname(page), target) : page;
        if (!existsSync(file)) broken.push(`${link}: no ${file}`);
        else if (anchor && file.endsWith(".md") && !anchorsOf(file).has(anchor)) broken.push(`${link}: no heading #${anchor} in ${file}`);
      }
      assert.deepEqual(broken, []);
    });
  }
});
