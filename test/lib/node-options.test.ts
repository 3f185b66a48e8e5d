import assert from "node:assert/strict";
import { nodeOptionsForAChild } from "../../lib/node-options.js";

describe("nodeOptionsForAChild (lib/node-options.ts)", () => {
  const cases: Array<{ name: string; execArgv: string[]; child: string[] }> = [
    {
      name: "a bundle's V8 settings pass on",
      execArgv: ["--max-semi-space-size=8", "--expose-gc", "--liftoff-only"],
      child: ["--max-semi-space-size=8", "--expose-gc", "--liftoff-only"],
    },
    { name: "a loader and its value pass on (tsx)", execArgv: ["--import", "tsx", "--require=x.cjs"], child: ["--import", "tsx", "--require=x.cjs"] },
    {
      name: "-e and its code stay behind, with --input-type",
      execArgv: ["--max-semi-space-size=8", "--input-type=module", "-e", "console.log(1)"],
      child: ["--max-semi-space-size=8"],
    },
    { name: "--eval=… and --print … stay behind", execArgv: ["--eval=run()", "--expose-gc", "--print", "1 + 1"], child: ["--expose-gc"] },
    { name: "--input-type with its value apart stays behind", execArgv: ["--input-type", "module", "--import", "tsx"], child: ["--import", "tsx"] },
    { name: "an inspector's port stays with this process", execArgv: ["--inspect=0", "--inspect-brk", "--expose-gc"], child: ["--expose-gc"] },
    { name: "nothing gives nothing", execArgv: [], child: [] },
  ];
  for (const { name, execArgv, child } of cases) it(name, () => assert.deepEqual(nodeOptionsForAChild(execArgv), child));
});
