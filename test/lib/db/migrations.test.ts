import assert from "node:assert/strict";
import { noHurry } from "../../support/deadlines.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { NO_MIGRATIONS } from "kysely/migration";
import { createMigrator, migrateToLatest, openDatabase } from "../../../lib/db/index.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { Stock } from "../../../services/chillybin/stock.js";
import { createScratchDatabase, type ScratchDatabase, usingPostgresServer } from "../../../scripts/support/scratch-database.js";
import { eventually } from "../../support/eventually.js";

describe("chillybin migrations", () => {
  let database: ScratchDatabase;
  beforeEach(async () => (database = await createScratchDatabase()));
  afterEach(() => database.drop());

  it("up creates ingredients with the default stock, and orders; down removes them one by one", async () => {
    await migrateToLatest(database.db, CHILLYBIN_MIGRATIONS);
    assert.deepEqual(await new Stock(database.db).levels(noHurry()), { bread: 10, cheese: 10, vegemite: 10 });
    const migrator = createMigrator(database.db, CHILLYBIN_MIGRATIONS);
    const migrations = await migrator.getMigrations();
    assert.deepEqual(
      migrations.map((m) => m.name),
      ["0001_create_ingredients", "0002_create_orders", "0003_create_idempotency_keys", "0004_add_order_reference", "0005_index_idempotency_keys_by_age"],
    );
    assert.ok(migrations.every((m) => m.executedAt instanceof Date));

    assert.equal((await migrator.migrateDown()).error, undefined);
    const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where tablename = 'idempotency_keys'`.execute(database.db);
    assert.deepEqual(
      indexes.rows.map((r) => r.indexname),
      ["idempotency_keys_pkey"],
      "the age index is gone",
    );
    assert.equal((await migrator.migrateDown()).error, undefined);
    await assert.rejects(sql`select reference from orders`.execute(database.db), /reference/);
    assert.equal((await migrator.migrateDown()).error, undefined);
    await assert.rejects(sql`select * from idempotency_keys`.execute(database.db), /idempotency_keys/);
    assert.equal((await migrator.migrateDown()).error, undefined);
    await assert.rejects(sql`select * from orders`.execute(database.db), /orders/);
    await sql`select * from ingredients`.execute(database.db);
    assert.equal((await migrator.migrateTo(NO_MIGRATIONS)).error, undefined);
    await assert.rejects(sql`select * from ingredients`.execute(database.db), /ingredients/);
  });

  it("is safe to run again, and by two instances at once", async () => {
    // Two pools on one server race like two instances starting together; the
    // embedded database has one connection, so it shares the one instance.
    const second = database.location.kind === "postgres" ? openDatabase(database.location) : database.db;
    try {
      await Promise.all([migrateToLatest(database.db, CHILLYBIN_MIGRATIONS), migrateToLatest(second, CHILLYBIN_MIGRATIONS)]);
      await migrateToLatest(database.db, CHILLYBIN_MIGRATIONS);
      const rows = await sql<{ n: number }>`select count(*)::int as n from ingredients`.execute(database.db);
      assert.equal(rows.rows[0]?.n, 3);
    } finally {
      if (second !== database.db) await second.destroy();
    }
  });

  // Only a server has other sessions: embedded PostgreSQL serves this process alone.
  if (usingPostgresServer) {
    it("a migration waits at most MIGRATION_LOCK_TIMEOUT_MS for a lock, so calls queued behind it go on; tried again, then refused naming it, nothing migrated", async () => {
      assert.equal((await createMigrator(database.db, CHILLYBIN_MIGRATIONS).migrateTo("0004_add_order_reference")).error, undefined);
      const url = (database.location as { url: string }).url;
      const session = async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return client;
      };
      // A long transaction that wrote a key: it holds idempotency_keys (ROW EXCLUSIVE), which 0005's CREATE INDEX must wait for.
      const holder = await session();
      const caller = await session();
      try {
        await holder.query("begin");
        await holder.query("insert into idempotency_keys (key, rpc, fingerprint) values ('held', 'Pick', 'f')");
        const retries: string[] = [];
        const migrating = migrateToLatest(database.db, CHILLYBIN_MIGRATIONS, {
          lockTimeoutMs: 300,
          attempts: 3,
          pauseMs: 100,
          onRetry: (m) => retries.push(m),
        });
        // Once the CREATE INDEX waits for the table, a call's write queues behind it (its lock conflicts with the
        // one waited for): it goes through when the wait stops at the timeout, while the holder still holds the table.
        const waiting = async () => (await holder.query("select 1 from pg_locks where relation = 'idempotency_keys'::regclass and not granted")).rowCount! > 0;
        assert.ok(await eventually(waiting, 10_000), "the migration waits for the table");
        await caller.query("set lock_timeout = '10s'"); // without the bound, it would wait as long as the holder: failed here, not hung
        await caller.query("insert into idempotency_keys (key, rpc, fingerprint) values ('call', 'Pick', 'f')");
        await assert.rejects(migrating, (error: Error) => {
          assert.match(
            error.message,
            /^migration 0005_index_idempotency_keys_by_age waited 300 ms \(MIGRATION_LOCK_TIMEOUT_MS\) for a lock another session holds, 3 times: nothing was migrated\. Find the session in pg_locks/,
          );
          return true;
        });
        assert.equal(retries.length, 2);
        assert.match(retries[0]!, /waited 300 ms .*; nothing was migrated, trying again in 100 ms \(1 of 3\)$/);
        const applied = (await createMigrator(database.db, CHILLYBIN_MIGRATIONS).getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
        assert.equal(applied.at(-1), "0004_add_order_reference", "nothing migrated");

        await holder.query("commit");
        await migrateToLatest(database.db, CHILLYBIN_MIGRATIONS, { lockTimeoutMs: 300 });
        const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where tablename = 'idempotency_keys'`.execute(database.db);
        assert.ok(
          indexes.rows.some((r) => r.indexname === "idempotency_keys_created_at"),
          "migrated once the lock was gone",
        );
      } finally {
        await holder.end();
        await caller.end();
      }
    });
  }

  const rejected = [
    { case: "a negative quantity", statement: sql`update ingredients set quantity = -1 where name = 'cheese'`, error: /ingredients_quantity_not_negative/ },
    { case: "a second row with the same name", statement: sql`insert into ingredients (name, quantity) values ('cheese', 1)`, error: /duplicate key|unique/ },
    {
      case: "an order for an unknown ingredient",
      statement: sql`insert into orders (customer, ingredient, quantity) values ('gita', 'ham', 1)`,
      error: /foreign key/,
    },
    {
      case: "an order without a customer",
      statement: sql`insert into orders (customer, ingredient, quantity) values ('', 'cheese', 1)`,
      error: /orders_customer_not_empty/,
    },
    {
      case: "an order of nothing",
      statement: sql`insert into orders (customer, ingredient, quantity) values ('gita', 'cheese', 0)`,
      error: /orders_quantity_positive/,
    },
  ];
  for (const r of rejected) {
    it(`the schema refuses ${r.case}`, async () => {
      await migrateToLatest(database.db, CHILLYBIN_MIGRATIONS);
      await assert.rejects(r.statement.execute(database.db), r.error);
    });
  }
});

describe("embedded database", () => {
  it("keeps the stock in its data directory across restarts", async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "chillybin-")), "data");
    try {
      const first = openDatabase<ChillybinDatabase>({ kind: "embedded", dataDir });
      await migrateToLatest(first, CHILLYBIN_MIGRATIONS);
      await new Stock(first).pick("cheese", 4, noHurry());
      await first.destroy();

      const second = openDatabase<ChillybinDatabase>({ kind: "embedded", dataDir });
      await migrateToLatest(second, CHILLYBIN_MIGRATIONS);
      assert.equal((await new Stock(second).levels(noHurry())).cheese, 6);
      await second.destroy();
    } finally {
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });
});
