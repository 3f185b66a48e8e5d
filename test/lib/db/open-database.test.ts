import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { sql } from "kysely";
import { openDatabase } from "../../../lib/db/index.js";

describe("openDatabase (embedded)", function () {
  this.timeout(60_000);

  it("destroy() closes a database that was never queried, leaving its directory whole for the next process", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "open-database-"));
    try {
      await openDatabase({ kind: "embedded", dataDir: dir }).destroy();
      // Closed means initdb finished and nothing writes the directory any more.
      assert.ok(existsSync(path.join(dir, "PG_VERSION")), "the cluster is complete once destroy() resolves");
      const again = openDatabase({ kind: "embedded", dataDir: dir });
      try {
        assert.deepEqual((await sql<{ one: number }>`select 1 as one`.execute(again)).rows, [{ one: 1 }]);
      } finally {
        await again.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
