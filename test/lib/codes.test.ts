import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
// Connect's own names, private to Connect: compared here so that ours never drift from the protocol's.
import { codeFromString, codeToString } from "@connectrpc/connect/protocol-connect";
import { codeName, codeNamed, isServerFault } from "../../lib/codes.js";

describe("codes (lib/codes.ts)", () => {
  const codes = Object.values(Code).filter((value): value is Code => typeof value === "number");
  it("covers all 16 codes", () => assert.equal(codes.length, 16));
  for (const code of codes) {
    it(`${Code[code]} is "${codeToString(code)}" both ways, as the Connect protocol names it`, () => {
      assert.equal(codeName(code), codeToString(code));
      assert.equal(codeNamed(codeName(code)), codeFromString(codeToString(code)));
    });
  }
  const unknown: Array<[string, () => unknown, unknown]> = [
    ["a number that is no code is unknown", () => codeName(99 as Code), "unknown"],
    ["a name that is no code's is undefined", () => codeNamed("DeadlineExceeded"), undefined],
  ];
  for (const [name, run, expected] of unknown) it(name, () => assert.equal(run(), expected));

  it("only INTERNAL, UNKNOWN and DATA_LOSS say the server is at fault", () => {
    assert.deepEqual(codes.filter(isServerFault).map(codeName).sort(), ["data_loss", "internal", "unknown"]);
  });
});
