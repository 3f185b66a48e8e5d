// The scripts' command lines, read with util.parseArgs: positionals counted,
// flags typed, and anything else refused with the usage and the reason.
import assert from "node:assert/strict";
import { readCli } from "../../scripts/support/cli-args.js";

describe("readCli", () => {
  const spec = { flags: { "dry-run": { type: "boolean" as const } }, positionals: { min: 1, max: 2 } };
  const table: Array<{ args: string[]; positionals?: string[]; dryRun?: boolean; refused?: RegExp }> = [
    { args: ["staging"], positionals: ["staging"], dryRun: undefined },
    { args: ["staging", "--dry-run"], positionals: ["staging"], dryRun: true },
    { args: ["--dry-run", "staging", "jafflr"], positionals: ["staging", "jafflr"], dryRun: true },
    { args: [], refused: /expected 1 to 2 arguments, got 0/ },
    { args: ["a", "b", "c"], refused: /expected 1 to 2 arguments, got 3/ },
    { args: ["staging", "--wat"], refused: /Unknown option '--wat'/ },
    { args: ["staging", "--dry-run=yes"], refused: /does not take an argument/ },
  ];
  for (const t of table) {
    it(`${JSON.stringify(t.args)} → ${t.refused ? "refused" : JSON.stringify(t.positionals)}`, () => {
      const errors: string[] = [];
      const original = console.error;
      console.error = (line: string) => errors.push(line);
      try {
        const cli = readCli(t.args, "cmd <environment> [service] [--dry-run]", spec);
        if (t.refused) {
          assert.equal(cli, undefined);
          assert.match(errors.join("\n"), /^usage: cmd <environment> \[service\] \[--dry-run\]\n/);
          assert.match(errors.join("\n"), t.refused);
        } else {
          assert.deepEqual(cli?.positionals, t.positionals);
          assert.equal(cli?.values["dry-run"], t.dryRun);
          assert.deepEqual(errors, []);
        }
      } finally {
        console.error = original;
      }
    });
  }
});
