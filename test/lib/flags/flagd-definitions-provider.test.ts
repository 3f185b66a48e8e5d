import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Kysely } from "kysely";
import { migrateToLatest } from "../../../lib/db/index.js";
import { databaseSource, fileSource, FlagdDefinitionsProvider, staticSource, type FlagsDatabase } from "../../../lib/flags/index.js";
import { JAFFLR_MIGRATIONS } from "../../../services/jafflr/flags.js";
import { captureLogger } from "../../support/capture-logger.js";
import { clientFor, nextChange, pickV2Flags } from "../../support/flags.js";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.js";

const on = (client: Awaited<ReturnType<typeof clientFor>>, customer: string) => client.getBooleanValue("pick-v2", false, { targetingKey: customer, customer });

describe("flags: flagd definitions through OpenFeature", () => {
  describe("from a fixed document (FLAGS_JSON)", () => {
    const table: Array<{ customer: string; expected: boolean }> = [
      { customer: "gita", expected: true },
      { customer: "kim", expected: false },
      { customer: "", expected: false },
      { customer: "Gita", expected: false },
    ];
    for (const t of table) {
      it(`pick-v2 for ${JSON.stringify(t.customer)} is ${t.expected}`, async () => {
        const provider = new FlagdDefinitionsProvider(staticSource(pickV2Flags(["gita"]), "test"), captureLogger().logger);
        assert.equal(await on(await clientFor(provider), t.customer), t.expected);
      });
    }

    it("a fractional rollout puts each customer on one side, stably, in about the given share", async () => {
      const provider = new FlagdDefinitionsProvider(staticSource(pickV2Flags([], 30), "test"), captureLogger().logger);
      const client = await clientFor(provider);
      const customers = Array.from({ length: 400 }, (_, i) => `customer-${i}`);
      const first = await Promise.all(customers.map((c) => on(client, c)));
      const again = await Promise.all(customers.map((c) => on(client, c)));
      assert.deepEqual(again, first);
      const share = first.filter(Boolean).length / customers.length;
      assert.ok(share > 0.2 && share < 0.4, `share on: ${share}`);
    });

    it("an unknown flag answers the default and says why", async () => {
      const provider = new FlagdDefinitionsProvider(staticSource(pickV2Flags(["gita"]), "test"), captureLogger().logger);
      const details = await (await clientFor(provider)).getBooleanDetails("no-such-flag", false, { targetingKey: "gita" });
      assert.equal(details.value, false);
      assert.equal(details.errorCode, "FLAG_NOT_FOUND");
    });

    const broken: Array<[string, string]> = [
      ["not JSON", "{flags"],
      ["not a flagd document", '{"flags":{"pick-v2":{"state":"ENABLED"}}}'],
      ["empty", ""],
    ];
    for (const [what, text] of broken) {
      it(`broken definitions (${what}) fall back to the default for everyone, and are logged`, async () => {
        const { logger, lines } = captureLogger();
        const provider = new FlagdDefinitionsProvider(staticSource(text, "test"), logger);
        assert.equal(await on(await clientFor(provider), "gita"), false);
        assert.ok(lines.some((l) => l.level === 50 && /broken flag definitions/.test(String(l.msg))));
      });
    }
  });

  describe("from a file (FLAGS_FILE)", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "flags-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("a changed file takes effect without a restart, broken edits fall back, good ones recover", async () => {
      const file = path.join(dir, "flags.json");
      writeFileSync(file, pickV2Flags(["gita"]));
      const { logger, lines } = captureLogger();
      const provider = new FlagdDefinitionsProvider(fileSource(file, { pollMs: 20, logger }), logger);
      const client = await clientFor(provider);
      try {
        assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [true, false]);

        let changed = nextChange(provider);
        // Replace the file the way editors and Kubernetes ConfigMaps do: a new file renamed over it.
        writeFileSync(`${file}.tmp`, pickV2Flags(["gita", "kim"]));
        renameSync(`${file}.tmp`, file);
        await changed;
        assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [true, true]);

        changed = nextChange(provider);
        writeFileSync(file, "{ half-written");
        await changed;
        assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [false, false]);
        assert.ok(lines.some((l) => /broken flag definitions/.test(String(l.msg))));

        changed = nextChange(provider);
        writeFileSync(file, pickV2Flags(["kim"]));
        await changed;
        assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [false, true]);
      } finally {
        await provider.onClose();
      }
    });

    it("a missing file means every flag is off, logged", async () => {
      const { logger, lines } = captureLogger();
      const provider = new FlagdDefinitionsProvider(fileSource(path.join(dir, "nope.json"), { pollMs: 20, logger }), logger);
      const client = await clientFor(provider);
      await provider.onClose();
      assert.equal(await on(client, "gita"), false);
      assert.ok(lines.some((l) => /cannot read the flag definitions file/.test(String(l.msg))));
    });
  });

  describe("from a database table (FLAGS_DATABASE_URL)", () => {
    let database: TestDatabase;
    let db: Kysely<FlagsDatabase>;
    beforeEach(async () => {
      database = await createTestDatabase();
      db = database.db as Kysely<FlagsDatabase>;
      await migrateToLatest(db, JAFFLR_MIGRATIONS);
    });
    afterEach(() => database.drop());

    const define = async (customers: string[]) => {
      const definition = (JSON.parse(pickV2Flags(customers)) as { flags: Record<string, unknown> }).flags["pick-v2"];
      await db
        .insertInto("feature_flags")
        .values({ key: "pick-v2", definition: JSON.stringify(definition) })
        .onConflict((oc) => oc.column("key").doUpdateSet({ definition: JSON.stringify(definition) }))
        .execute();
    };

    it("reads one row per flag, and a changed row takes effect within a poll", async () => {
      await define(["gita"]);
      const { logger } = captureLogger();
      const provider = new FlagdDefinitionsProvider(databaseSource(db, { pollMs: 20, logger }), logger);
      const client = await clientFor(provider);
      try {
        assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [true, false]);
        const changed = nextChange(provider);
        await define(["kim"]);
        await changed;
        assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [false, true]);
      } finally {
        await provider.onClose();
      }
    });

    it("keeps the last definitions while the table cannot be read, and logs", async () => {
      await define(["gita"]);
      const { logger, lines } = captureLogger();
      const provider = new FlagdDefinitionsProvider(databaseSource(db, { pollMs: 20, logger }), logger);
      const client = await clientFor(provider);
      try {
        await db.schema.dropTable("feature_flags").execute();
        while (!lines.some((l) => /cannot read feature_flags/.test(String(l.msg)))) await new Promise((r) => setTimeout(r, 10));
        assert.equal(await on(client, "gita"), true);
      } finally {
        await provider.onClose();
      }
    });
  });

  it("the example definitions in config/flags.json are valid and put gita on v2", async () => {
    const provider = new FlagdDefinitionsProvider(staticSource(readFileSync("config/flags.json", "utf8"), "config/flags.json"), captureLogger().logger);
    const client = await clientFor(provider);
    assert.deepEqual([await on(client, "gita"), await on(client, "kim")], [true, false]);
  });
});
