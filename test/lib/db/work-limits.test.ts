import assert from "node:assert/strict";
import { type Kysely, sql } from "kysely";
import { isDatabaseTimeout, limitTransaction, stillWaiting, workDeadline } from "../../../lib/db/index.js";
import { createScratchDatabase } from "../../../scripts/support/scratch-database.js";

describe("work limits (lib/db/work-limits.ts)", () => {
  const open = new AbortController().signal;
  const deadlines: Array<{ case: string; timeoutMs: number | undefined; at: number; callers: boolean }> = [
    { case: "a caller's deadline within the ceiling is the work's, and the caller's", timeoutMs: 300, at: 1_300, callers: true },
    { case: "no deadline of the caller's: the ceiling, the server's", timeoutMs: undefined, at: 5_000, callers: false },
    { case: "a caller's deadline past the ceiling: the ceiling, the server's", timeoutMs: 60_000, at: 5_000, callers: false },
  ];
  for (const d of deadlines) {
    it(d.case, () => {
      const deadline = workDeadline(open, d.timeoutMs, 4_000, 1_000);
      assert.deepEqual([deadline.at, deadline.callers], [d.at, d.callers]);
    });
  }

  it("a caller still waits until its deadline or its signal, whichever first", () => {
    const deadline = workDeadline(open, 100, 4_000, 0);
    assert.deepEqual([stillWaiting(deadline, 99), stillWaiting(deadline, 100)], [true, false]);
    assert.equal(stillWaiting(workDeadline(AbortSignal.abort(), 100, 4_000, 0), 1), false);
  });

  const errors: Array<[string, unknown, boolean]> = [
    ["lock_timeout (55P03)", Object.assign(new Error("canceling statement due to lock timeout"), { code: "55P03" }), true],
    ["statement_timeout (57014)", Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }), true],
    ["a unique violation (23505)", Object.assign(new Error("duplicate key"), { code: "23505" }), false],
    ["an error without a code", new Error("connection terminated"), false],
  ];
  for (const [name, error, timeout] of errors)
    it(`${name} is ${timeout ? "" : "not "}a database timeout`, () => assert.equal(isDatabaseTimeout(error), timeout));

  it("limitTransaction sets lock_timeout and statement_timeout for the transaction only (PostgreSQL's own settings)", async () => {
    const scratch = await createScratchDatabase();
    const db = scratch.db as Kysely<Record<string, never>>;
    try {
      const setting = async (name: string) => (await sql<{ v: string }>`select current_setting(${name}) as v`.execute(db)).rows[0]!.v;
      const inside = await db.transaction().execute(async (trx) => {
        await limitTransaction(trx, 1_234.2);
        return (await sql<{ l: string; s: string }>`select current_setting('lock_timeout') as l, current_setting('statement_timeout') as s`.execute(trx))
          .rows[0]!;
      });
      assert.deepEqual(inside, { l: "1235ms", s: "1235ms" });
      assert.deepEqual([await setting("lock_timeout"), await setting("statement_timeout")], ["0", "0"], "gone after COMMIT");
    } finally {
      await scratch.drop();
    }
  });
});
