import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createClient } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { JafflrService } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { migrateToLatest } from "../../../lib/db/index.js";
import { databaseSource, fileSource, FlagdDefinitionsProvider, type FlagsDatabase } from "../../../lib/flags/index.js";
import { openJafflrFlags, JAFFLR_MIGRATIONS } from "../../../services/jafflr/flags.js";
import { pickVersionFromFlags } from "../../../services/jafflr/pick-version.js";
import { captureLogger } from "../../support/capture-logger.js";
import { clientFor, nextChange, pickV2Flags } from "../../support/flags.js";
import { request } from "../../support/http.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { createTestDatabase, usingPostgresServer } from "../../support/test-database.js";
import { TRANSPORTS } from "../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

describe("jafflr: pick-v2 per customer", () => {
  let chillybin: TestChillybin;
  let dir: string;
  const ordersOf = async (customer: string) =>
    (await chillybin.db.selectFrom("orders").select(["ingredient", "quantity"]).where("customer", "=", customer).orderBy("id").execute()).map((r) => `${r.quantity} ${r.ingredient}`);

  before(async () => (chillybin = await startChillybin()));
  after(() => chillybin?.stop());
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "jafflr-flags-"));
    await chillybin.db.deleteFrom("orders").execute();
    await chillybin.setStock(DEFAULT);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function jafflrWithFileFlags(customers: string[]): Promise<{ jafflr: TestJafflr; provider: FlagdDefinitionsProvider; file: string }> {
    const file = path.join(dir, "flags.json");
    writeFileSync(file, pickV2Flags(customers));
    const { logger } = captureLogger();
    const provider = new FlagdDefinitionsProvider(fileSource(file, { pollMs: 20, logger }), logger);
    const pickVersion = pickVersionFromFlags(await clientFor(provider), logger);
    return { jafflr: await startJafflr({ chillybinUrl: chillybin.server.url, pickVersion }), provider, file };
  }

  it("calls v2 for a customer the flag is on for and v1 for the others, in the same running jafflr", async () => {
    const { jafflr, provider } = await jafflrWithFileFlags(["gita"]);
    try {
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
      const gitas = await client.makeToastie({ ingredients: ["cheese", "vegemite"], customer: "gita" });
      const kims = await client.makeToastie({ ingredients: ["cheese"], customer: "kim" });
      await client.makeToastie({ ingredients: ["cheese"] });
      assert.deepEqual(await ordersOf("gita"), ["2 bread", "1 cheese", "1 vegemite"]);
      assert.deepEqual(await ordersOf("kim"), []);
      // The toastie answers the orders v2 recorded for it.
      const ids = (await chillybin.db.selectFrom("orders").select("id").where("customer", "=", "gita").orderBy("id").execute()).map((r) => BigInt(r.id));
      assert.deepEqual(gitas.toastie?.orderIds, ids);
      assert.deepEqual(kims.toastie?.orderIds, []);
      // Every toastie took its stock, whichever version picked it.
      assert.deepEqual((await request(chillybin.server.url, "GET", "/")).json, { bread: 4, cheese: 7, vegemite: 9 });
    } finally {
      await jafflr.stop();
      await provider.onClose();
    }
  });

  it("a changed flag file moves a customer to v2 without a restart", async () => {
    const { jafflr, provider, file } = await jafflrWithFileFlags(["gita"]);
    try {
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
      await client.makeToastie({ ingredients: ["cheese"], customer: "kim" });
      assert.deepEqual(await ordersOf("kim"), []);
      const changed = nextChange(provider);
      writeFileSync(file, pickV2Flags(["gita", "kim"]));
      await changed;
      await client.makeToastie({ ingredients: ["cheese"], customer: "kim" });
      assert.deepEqual(await ordersOf("kim"), ["2 bread", "1 cheese"]);
    } finally {
      await jafflr.stop();
      await provider.onClose();
    }
  });

  it("REST: GET /toastie?i=cheese&i=vegemite&customer=gita picks with v2", async () => {
    const { jafflr, provider } = await jafflrWithFileFlags(["gita"]);
    try {
      const res = await request(jafflr.server.url, "GET", "/toastie?i=cheese&i=vegemite&customer=gita");
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(await ordersOf("gita"), ["2 bread", "1 cheese", "1 vegemite"]);
    } finally {
      await jafflr.stop();
      await provider.onClose();
    }
  });

  it("a v2 toastie that cannot be made takes nothing, and the refusal names the ingredient", async () => {
    const { jafflr, provider } = await jafflrWithFileFlags(["gita"]);
    try {
      const res = await request(jafflr.server.url, "GET", "/toastie?i=cheese&i=ham&customer=gita");
      assert.equal(res.status, 404);
      assert.match((res.json as { message: string }).message, /cannot pick ham: unknown ingredient "ham"/);
      await chillybin.setStock({ vegemite: 0 });
      const short = await request(jafflr.server.url, "GET", "/toastie?i=cheese&i=vegemite&customer=gita");
      assert.equal(short.status, 400);
      assert.match((short.json as { message: string }).message, /cannot pick vegemite: not enough vegemite/);
      // The bread and cheese picked before the refusal were never taken.
      assert.deepEqual((await request(chillybin.server.url, "GET", "/")).json, { ...DEFAULT, vegemite: 0 });
      assert.deepEqual(await ordersOf("gita"), []);
    } finally {
      await jafflr.stop();
      await provider.onClose();
    }
  });

  it("flags from the database table switch customers too", async () => {
    const flagsDatabase = await createTestDatabase();
    const db = flagsDatabase.db as Kysely<FlagsDatabase>;
    const { logger } = captureLogger();
    let provider: FlagdDefinitionsProvider | undefined;
    let jafflr: TestJafflr | undefined;
    try {
      await migrateToLatest(db, JAFFLR_MIGRATIONS);
      const definition = (JSON.parse(pickV2Flags(["lou"])) as { flags: Record<string, unknown> }).flags["pick-v2"];
      await db.insertInto("feature_flags").values({ key: "pick-v2", definition: JSON.stringify(definition) }).execute();
      provider = new FlagdDefinitionsProvider(databaseSource(db, { pollMs: 20, logger }), logger);
      jafflr = await startJafflr({ chillybinUrl: chillybin.server.url, pickVersion: pickVersionFromFlags(await clientFor(provider), logger) });
      const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
      await client.makeToastie({ ingredients: ["cheese"], customer: "lou" });
      await client.makeToastie({ ingredients: ["cheese"], customer: "kim" });
      assert.deepEqual(await ordersOf("lou"), ["2 bread", "1 cheese"]);
      assert.deepEqual(await ordersOf("kim"), []);
    } finally {
      await jafflr?.stop();
      await provider?.onClose();
      await flagsDatabase.drop();
    }
  });

  // FLAGS_DATABASE_URL names a PostgreSQL server, so this runs in the suite's
  // DATABASE_URL pass (CI runs both); the table source itself is tested above
  // on every database.
  if (usingPostgresServer) it("FLAGS_DATABASE_URL: jafflr migrates its feature_flags table and reads it", async () => {
    const flagsDatabase = await createTestDatabase();
    const url = flagsDatabase.env.DATABASE_URL!;
    const { logger } = captureLogger();
    const flags = await openJafflrFlags({ source: "database", url, pollMs: 20 }, logger, `db-${process.pid}`);
    try {
      assert.equal(await flags.pickVersion.useV2("gita"), false); // an empty table: v1 for everyone
      const definition = (JSON.parse(pickV2Flags(["gita"])) as { flags: Record<string, unknown> }).flags["pick-v2"];
      await flagsDatabase.db.insertInto("feature_flags").values({ key: "pick-v2", definition: JSON.stringify(definition) }).execute();
      while (!(await flags.pickVersion.useV2("gita"))) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await flags.pickVersion.useV2("kim"), false);
    } finally {
      await flags.close();
      await flagsDatabase.drop();
    }
  });
});
