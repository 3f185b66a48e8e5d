import assert from "node:assert/strict";
import { ConfigError } from "../../lib/config.js";
import { readDirectPaths } from "../../lib/direct-paths.js";

describe("DIRECT_PATHS (lib/direct-paths.ts)", () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, "grpc grpc-web connect client"],
    ["", "grpc grpc-web connect client"],
    ["all", "grpc grpc-web connect client"],
    ["none", ""],
    ["grpc,grpc-web,connect", "grpc grpc-web connect"],
    [" client , grpc ", "grpc client"],
  ];
  for (const [value, on] of cases) {
    it(`${JSON.stringify(value)} turns on: ${on || "nothing"}`, () => {
      const paths = readDirectPaths({ DIRECT_PATHS: value });
      assert.equal(
        Object.entries(paths)
          .filter(([, isOn]) => isOn)
          .map(([name]) => name)
          .join(" "),
        on,
      );
    });
  }
  for (const value of ["off", "grpc,http3", "GRPC"]) {
    it(`"${value}" stops start-up naming the variable and what it may be`, () => {
      assert.throws(
        () => readDirectPaths({ DIRECT_PATHS: value }),
        (e: unknown) => e instanceof ConfigError && /DIRECT_PATHS must be "all", "none" or a list of grpc, grpc-web, connect, client/.test(e.message),
      );
    });
  }
});
