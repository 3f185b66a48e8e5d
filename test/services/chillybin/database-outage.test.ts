// PostgreSQL going away under load (a proxy cut and restored, as a restart or
// a network partition looks to chillybin): picks fail with UNAVAILABLE
// meanwhile, chillybin recovers without a restart, and the stock matches the
// orders exactly: nothing lost, nothing taken twice.
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { ChillybinService } from "../../../gen/chillybin/v2/chillybin_pb.js";
import { migrateToLatest, openDatabase } from "../../../lib/db/index.js";
import { silentLogger } from "../../../lib/logger.js";
import { startChillybinServer } from "../../../services/chillybin/chillybin-server.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { createTestDatabase, usingPostgresServer } from "../../support/test-database.js";
import { TRANSPORTS } from "../../support/transports.js";

if (usingPostgresServer) {
  describe("PostgreSQL unreachable under load", function () {
    this.timeout(60_000);

    it("answers UNAVAILABLE meanwhile, recovers by itself, and loses or doubles nothing", async () => {
      const database = await createTestDatabase();
      const url = new URL(database.env.DATABASE_URL!);
      const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = "127.0.0.1";
      url.port = String(await proxy.start());
      const db: Kysely<ChillybinDatabase> = openDatabase({ kind: "postgres", url: url.toString() });
      await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
      await db.updateTable("ingredients").set({ quantity: 100_000 }).execute();
      const server = await startChillybinServer({ db, port: 0, version: "outage", logger: silentLogger() });
      const client = createClient(ChillybinService, TRANSPORTS[1]!.make(server.url));
      const codes = new Map<Code | "ok", number>();
      const answered: string[] = [];
      let phase: "before" | "cut" | "after" = "before";
      const seen = { before: 0, cut: 0, after: 0 };
      let n = 0;
      let running = true;
      const worker = async () => {
        while (running) {
          const at = phase;
          const outcome = await client.pick({ ingredient: "cheese", quantity: 1, customer: `c${n++}` }).then((r) => (answered.push(String(r.id)), "ok" as const), (e: unknown) => ConnectError.from(e).code);
          codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
          if (outcome === "ok") seen[at]++;
          if (at === "cut" && outcome !== "ok") assert.equal(outcome, Code.Unavailable, `a pick during the outage failed with ${Code[outcome]}`);
        }
      };
      try {
        const workers = Array.from({ length: 6 }, worker);
        while (seen.before < 20) await new Promise((r) => setTimeout(r, 5));
        phase = "cut";
        proxy.cut();
        while ((codes.get(Code.Unavailable) ?? 0) < 10) await new Promise((r) => setTimeout(r, 5));
        await proxy.restore();
        phase = "after";
        while (seen.after < 20) await new Promise((r) => setTimeout(r, 5));
        running = false;
        await Promise.all(workers);

        assert.deepEqual([...codes.keys()].filter((c) => c !== "ok" && c !== Code.Unavailable), [], "only UNAVAILABLE during the outage");
        const orders = await db.selectFrom("orders").select(["id", "quantity"]).execute();
        const ids = new Set(orders.map((o) => String(o.id)));
        for (const id of answered) assert.ok(ids.has(id), `answered order ${id} is lost`);
        const cheese = (await db.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").executeTakeFirstOrThrow()).quantity;
        assert.equal(cheese, 100_000 - orders.reduce((sum, o) => sum + o.quantity, 0));
      } finally {
        running = false;
        await server.close();
        await db.destroy();
        await proxy.stop();
        await database.drop();
      }
    });
  });
}
