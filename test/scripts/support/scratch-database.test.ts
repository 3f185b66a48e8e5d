import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import type { Kysely } from "kysely";
import { createScratchDatabase } from "../../../scripts/support/scratch-database.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { runProcess } from "../../../scripts/support/processes.js";

describe("scratch databases", function () {
  this.timeout(60_000);

  it("each starts migrated and on its own: what one test writes, the next never sees", async () => {
    const first = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
    try {
      const db = first.db as Kysely<ChillybinDatabase>;
      await db.updateTable("ingredients").set({ quantity: 0 }).execute();
      await db.insertInto("orders").values({ customer: "first", ingredient: "cheese", quantity: 1, reference: "r" }).execute();
    } finally {
      await first.drop();
    }
    const second = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
    try {
      const db = second.db as Kysely<ChillybinDatabase>;
      assert.deepEqual(await db.selectFrom("ingredients").select(["name", "quantity"]).orderBy("name").execute(), [
        { name: "bread", quantity: 10 },
        { name: "cheese", quantity: 10 },
        { name: "vegemite", quantity: 10 },
      ]);
      assert.deepEqual(await db.selectFrom("orders").selectAll().execute(), []);
    } finally {
      await second.drop();
    }
  });

  it("without migrations, an empty database", async () => {
    const empty = await createScratchDatabase();
    try {
      assert.deepEqual(await empty.db.introspection.getTables(), []);
    } finally {
      await empty.drop();
    }
  });

  if (!process.env.DATABASE_URL) {
    it("an embedded copy made here is left where the processes started from here find it", async () => {
      await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS }).then((d) => d.drop());
      const folder = process.env.TOASTIES_SCRATCH_COPIES;
      assert.ok(folder && existsSync(folder), "the folder is named in the environment children inherit");
      const child = runProcess(process.execPath, ["-e", "console.log(require('node:fs').readdirSync(process.env.TOASTIES_SCRATCH_COPIES).join(','))"]);
      assert.equal(await child.exited, 0);
      assert.deepEqual(child.lines.join("").split(",").sort(), readdirSync(folder).sort());
      assert.ok(readdirSync(folder).some((file) => path.extname(file) === ".tar"));
    });
  }
});
