import assert from "node:assert/strict";
import { ConfigError } from "../../../../lib/config.js";
import { DEFAULT_LIMITS, LIMIT_VARIABLES, readServerLimits } from "../../../../lib/server/index.js";

const MiB = 1024 * 1024;

describe("readServerLimits", () => {
  it("every limit has its default when its variable is unset", () => {
    assert.deepEqual(readServerLimits({}, MiB), DEFAULT_LIMITS);
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
