// Why a server could not listen, in words that name the setting to change.
import assert from "node:assert/strict";
import { listenProblem } from "../../../lib/server/listen-problem.js";

const nodeError = (code: string) => Object.assign(new Error(`listen ${code}: …`), { code });
const variables = { port: "CHILLYBIN_PORT", host: "CHILLYBIN_HOST" };

describe("listenProblem", () => {
  const table: Array<{ code: string; withVariables: boolean; says: string }> = [
    {
      code: "EADDRINUSE",
      withVariables: true,
      says: "127.0.0.1:7001 is already in use by another process: stop it, or set CHILLYBIN_PORT to another port (0: any free one)",
    },
    {
      code: "EADDRINUSE",
      withVariables: false,
      says: "127.0.0.1:7001 is already in use by another process: stop it, or choose another port (0: any free one)",
    },
    {
      code: "EADDRNOTAVAIL",
      withVariables: true,
      says: "127.0.0.1 is not an address of this machine: set CHILLYBIN_HOST to one of its addresses (0.0.0.0: all of them)",
    },
    {
      code: "EACCES",
      withVariables: true,
      says: "127.0.0.1:7001 needs privileges this process lacks (a port below 1024): set CHILLYBIN_PORT to a port from 1024 up",
    },
  ];
  for (const c of table) {
    it(`${c.code}${c.withVariables ? "" : ", no variables known"}: ${c.says}`, () => {
      const cause = nodeError(c.code);
      const problem = listenProblem(cause, "127.0.0.1", 7001, c.withVariables ? variables : undefined) as Error;
      assert.equal(problem.message, c.says);
      assert.equal(problem.cause, cause);
    });
  }

  it("any other error is answered as it is", () => {
    const other = nodeError("EMFILE");
    assert.equal(listenProblem(other, "127.0.0.1", 7001, variables), other);
  });
});
