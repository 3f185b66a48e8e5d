import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ConfigError } from "../../../../lib/config.js";
import { DEFAULT_DATABASE_TIMEOUT_MS } from "../../../../services/chillybin/chillybin-server.js";
import { DEFAULT_DATABASE_POOL_SIZE } from "../../../../services/chillybin/config.js";
import { DEFAULT_LIMITS, LIMIT_VARIABLES, readServerLimits } from "../../../../lib/server/index.js";

const MiB = 1024 * 1024;

describe("readServerLimits", () => {
  it("every limit has its default when its variable is unset", () => {
    assert.deepEqual(readServerLimits({}, MiB), DEFAULT_LIMITS);
  });

  // The defaults operators read are the ones in docs/operations.md's Limits table: pinned against
  // the document, so that changing one in the code (H2_MAX_CONCURRENT_STREAMS to 100000, say) fails here.
  it("every default is the one docs/operations.md's Limits table states", () => {
    const table = readFileSync("docs/operations.md", "utf8").split("## Limits")[1]!.split("\n## ")[0]!;
    const documented: Record<string, number> = {};
    for (const line of table.split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      const variable = /^`([A-Z0-9_]+)`$/.exec(cells[3] ?? "")?.[1];
      if (!variable) continue;
      const value = /^(\d+)( MiB| ms)?$/.exec(cells[2] ?? "");
      assert.ok(value, `${variable}: a default the test can read ("${cells[2]}")`);
      documented[variable] = Number(value[1]) * (value[2] === " MiB" ? MiB : 1);
    }
    const inCode = {
      ...Object.fromEntries(Object.entries(LIMIT_VARIABLES).map(([key, variable]) => [variable, DEFAULT_LIMITS[key as keyof typeof DEFAULT_LIMITS]])),
      // chillybin's own, in the same table
      DATABASE_TIMEOUT_MS: DEFAULT_DATABASE_TIMEOUT_MS,
      DATABASE_POOL_SIZE: DEFAULT_DATABASE_POOL_SIZE,
    };
    for (const [variable, value] of Object.entries(inCode))
      assert.equal(value, documented[variable], `${variable}: the code says ${value}, the docs ${documented[variable]}`);
  });

  it("every limit is read from its own variable", () => {
    const env = Object.fromEntries(Object.values(LIMIT_VARIABLES).map((name, i) => [name, String(2 * MiB + i)]));
    const limits = readServerLimits(env, MiB);
    for (const [key, name] of Object.entries(LIMIT_VARIABLES)) assert.equal(limits[key as keyof typeof limits], Number(env[name]), name);
  });

  const refused: Array<{ env: Record<string, string>; message: RegExp }> = [
    { env: { MAX_CONNECTIONS: "lots" }, message: /MAX_CONNECTIONS must be a number/ },
    { env: { H2_MAX_CONCURRENT_STREAMS: "0" }, message: /H2_MAX_CONCURRENT_STREAMS must be a number no smaller than 1/ },
    { env: { MAX_BUFFERED_BYTES_PER_CONNECTION: "1000" }, message: /MAX_BUFFERED_BYTES_PER_CONNECTION \(1000\) must be at least MAX_BODY_BYTES/ },
    { env: { HEADERS_TIMEOUT_MS: "60000" }, message: /HEADERS_TIMEOUT_MS \(60000\) must not be larger than REQUEST_TIMEOUT_MS/ },
  ];
  for (const r of refused) {
    it(`refuses ${JSON.stringify(r.env)}, naming the variable`, () => {
      assert.throws(
        () => readServerLimits(r.env, MiB),
        (e: unknown) => e instanceof ConfigError && r.message.test(e.message),
      );
    });
  }
});
