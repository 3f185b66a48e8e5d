// Fault tests under load, each checking the stock and the orders afterwards:
// PostgreSQL really stopped and started (a server of the test's own, pg_ctl),
// and chillybin restarted while jafflr makes toasties. (chillybin killed with
// SIGKILL mid-transaction: test/services/chillybin/crash.test.ts.)
import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { ChillybinService } from "../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { migrateToLatest, openDatabase } from "../../lib/db/index.js";
import { silentLogger } from "../../lib/logger.js";
import { startChillybinServer } from "../../services/chillybin/chillybin-server.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../services/chillybin/database.js";
import { createChillybinTransport } from "../../services/jafflr/chillybin-client.js";
import { freePort } from "../../scripts/support/ports.js";
import { assertStockMatchesOrders, PhasedLoad, until } from "../support/phased-load.js";
import { PostgresCluster } from "../support/postgres-cluster.js";
import { listeningPort, runTs, type RunningProcess } from "../../scripts/support/processes.js";
import { startJafflr } from "../support/services.js";
import { createScratchDatabase, usingPostgresServer } from "../../scripts/support/scratch-database.js";
import { TRANSPORTS } from "../support/transports.js";

const STOCK = 100_000;

describe("faults under load", function () {
  this.timeout(120_000);

  // A server of its own needs the PostgreSQL binaries: the DATABASE_URL pass has them.
  if (usingPostgresServer) {
    it("PostgreSQL stopped and started: UNAVAILABLE meanwhile, recovery without a restart, no lost or half orders", async () => {
      const cluster = await PostgresCluster.create();
      const db: Kysely<ChillybinDatabase> = openDatabase({ kind: "postgres", url: cluster.url });
      const server = await (async () => {
        await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
        await db.updateTable("ingredients").set({ quantity: STOCK }).execute();
        return startChillybinServer({ db, port: 0, version: "pg-restart", logger: silentLogger() });
      })();
      const client = createClient(ChillybinService, TRANSPORTS[1]!.make(server.url));
      const answered: string[] = [];
      // Half single picks, half two-item orders (all or nothing), each for a customer of its own.
      const load = new PhasedLoad(async (n) => {
        if (n % 2) answered.push(String((await client.pick({ ingredient: "cheese", quantity: 1, customer: `pick-${n}` })).id));
        else
          answered.push(
            ...(
              await client.pickOrder({
                customer: `order-${n}`,
                items: [
                  { ingredient: "bread", quantity: 2 },
                  { ingredient: "vegemite", quantity: 1 },
                ],
              })
            ).ids.map(String),
          );
      });
      try {
        await until(() => load.ok.before >= 30, "picks before the stop");
        load.phase = "fault";
        await cluster.stop("fast");
        await until(() => load.count(Code.Unavailable) >= 10, "UNAVAILABLE while PostgreSQL is down");
        assert.equal((await server.health.report()).serving, false, "NOT_SERVING while its database is down");
        await cluster.start();
        await until(() => load.ok.fault > 0 || load.count(Code.Unavailable) > 0, "answers");
        load.phase = "after";
        await until(() => load.ok.after >= 30, "picks after PostgreSQL came back (no restart of chillybin)");
        await load.stop();
        assert.equal((await server.health.report()).serving, true, "SERVING again");
        load.assertOnlyUnavailable();
        await assertStockMatchesOrders(db, STOCK, answered, (customer) => (customer.startsWith("order-") ? 2 : 1));
      } finally {
        await load.stop();
        await server.close();
        await db.destroy();
        await cluster.destroy();
      }
    });
  }

  it("chillybin restarted while jafflr makes toasties: UNAVAILABLE meanwhile, jafflr recovers by itself, no lost or half toasties", async () => {
    const database = await createScratchDatabase({ onDisk: true, migrations: CHILLYBIN_MIGRATIONS });
    await database.db.updateTable("ingredients").set({ quantity: STOCK }).execute();
    // Hand it to chillybin; reopened below to check.
    await database.handOver();
    const port = await freePort();
    const env = { ...database.env, CHILLYBIN_PORT: String(port), DRAIN_TIMEOUT_MS: "5000", LOG_LEVEL: "info" };
    const startChillybinProcess = async () => {
      const proc = runTs("services/chillybin/main.ts", env);
      assert.equal(listeningPort(await proc.waitForLine(/"listening"/, 60_000)), port);
      return proc;
    };
    let chillybin: RunningProcess = await startChillybinProcess();
    const url = `http://127.0.0.1:${port}`;
    const jafflr = await startJafflr({
      chillybinUrl: url,
      chillybinTransport: createChillybinTransport({ baseUrl: url, resilience: { retries: 1, breakAfter: 3, halfOpenAfterMs: 200 } }),
    });
    const client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
    const answered: string[] = [];
    const load = new PhasedLoad(async (n) =>
      answered.push(...(await client.makeToastie({ ingredients: ["cheese"], customer: `toastie-${n}` })).toastie!.orderIds.map(String)),
    );
    try {
      await until(() => load.ok.before >= 30, "toasties before the restart");
      load.phase = "fault";
      assert.equal(await chillybin.stop("SIGTERM"), 0, "chillybin drains and exits cleanly");
      await until(() => load.count(Code.Unavailable) >= 5, "UNAVAILABLE while chillybin is down");
      chillybin = await startChillybinProcess();
      load.phase = "after";
      await until(() => load.ok.after >= 30, "toasties after chillybin came back (no restart of jafflr)");
      await load.stop();
      load.assertOnlyUnavailable();
    } finally {
      await load.stop();
      await jafflr.stop();
      await chillybin.stop("SIGTERM");
    }
    const db = (database.location.kind === "embedded" ? openDatabase(database.location) : database.db) as Kysely<ChillybinDatabase>;
    try {
      // Each toastie: bread and cheese, two order rows, or none.
      await assertStockMatchesOrders(db, STOCK, answered, () => 2);
    } finally {
      if (db !== database.db) await db.destroy();
      await database.drop();
    }
  });
});
