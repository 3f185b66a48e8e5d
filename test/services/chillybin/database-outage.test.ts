// PostgreSQL going away under load (a proxy cut and restored, as a restart or
// a network partition looks to chillybin): picks fail with UNAVAILABLE
// meanwhile, chillybin recovers without a restart, and the stock matches the
// orders exactly: nothing lost, nothing taken twice.
import { Code, createClient } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { ChillybinService } from "../../../gen/chillybin/v2/chillybin_pb.js";
import { migrateToLatest, openDatabase } from "../../../lib/db/index.js";
import { silentLogger } from "../../../lib/logger.js";
import { startChillybinServer } from "../../../services/chillybin/chillybin-server.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { assertStockMatchesOrders, PhasedLoad, until } from "../../support/phased-load.js";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { createScratchDatabase, usingPostgresServer } from "../../../scripts/support/scratch-database.js";
import { TRANSPORTS } from "../../support/transports.js";

if (usingPostgresServer) {
  describe("PostgreSQL unreachable under load", function () {
    this.timeout(60_000);

    it("answers UNAVAILABLE meanwhile, recovers by itself, and loses or doubles nothing", async () => {
      const database = await createScratchDatabase();
      const url = new URL(database.env.DATABASE_URL!);
      const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = "127.0.0.1";
      url.port = String(await proxy.start());
      const db: Kysely<ChillybinDatabase> = openDatabase({ kind: "postgres", url: url.toString() });
      await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
      await db.updateTable("ingredients").set({ quantity: 100_000 }).execute();
      const server = await startChillybinServer({ db, port: 0, version: "outage", logger: silentLogger() });
      const client = createClient(ChillybinService, TRANSPORTS[1]!.make(server.url));
      const answered: string[] = [];
      const load = new PhasedLoad(async (n) => answered.push(String((await client.pick({ ingredient: "cheese", quantity: 1, customer: `c${n}` })).id)));
      try {
        await until(() => load.ok.before >= 20, "picks before the cut");
        load.phase = "fault";
        proxy.cut();
        await until(() => load.count(Code.Unavailable) >= 10, "UNAVAILABLE during the outage");
        await proxy.restore();
        load.phase = "after";
        await until(() => load.ok.after >= 20, "picks after the database came back");
        await load.stop();

        load.assertOnlyUnavailable();
        await assertStockMatchesOrders(db, 100_000, answered, () => 1);
      } finally {
        await load.stop();
        await server.close();
        await db.destroy();
        await proxy.stop();
        await database.drop();
      }
    });
  });
}
