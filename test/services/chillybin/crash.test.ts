// chillybin killed with SIGKILL in the middle of a stream of orders: whatever
// it had answered stays committed, and stock and orders agree exactly (no
// half order: every order's items are all there or none are).
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Kysely } from "kysely";
import { ChillybinService } from "../../../gen/chillybin/v2/chillybin_pb.js";
import { migrateToLatest } from "../../../lib/db/index.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { freePort } from "../../../scripts/support/ports.js";
import { runTs } from "../../../scripts/support/processes.js";
import { createScratchDatabase, usingPostgresServer } from "../../../scripts/support/scratch-database.js";

const STOCK = 100_000;

// A PostgreSQL server outlives the process it serves; the embedded database
// lives inside it, so this needs the suite's DATABASE_URL pass (CI runs both).
if (usingPostgresServer) {
  describe("chillybin killed with SIGKILL during transactions", function () {
    this.timeout(60_000);

    it("loses nothing it answered and leaves no half orders", async () => {
      const database = await createScratchDatabase();
      const db = database.db as Kysely<ChillybinDatabase>;
      try {
        await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
        await db.updateTable("ingredients").set({ quantity: STOCK }).execute();
        const port = await freePort();
        const chillybin = runTs("services/chillybin/main.ts", { ...database.env, CHILLYBIN_PORT: String(port), LOG_LEVEL: "warn" });
        const url = `http://127.0.0.1:${port}`;
        for (let up = false; !up; )
          up = await fetch(`${url}/health`).then(
            (r) => r.ok,
            () => false,
          );

        const client = createClient(ChillybinService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
        const answered: Array<{ customer: string; ids: string[] }> = [];
        let n = 0;
        let stop = false;
        const worker = async () => {
          while (!stop) {
            const customer = `c${n++}`;
            try {
              const res = await client.pickOrder({
                customer,
                items: [
                  { ingredient: "bread", quantity: 2 },
                  { ingredient: "cheese", quantity: 1 },
                  { ingredient: "vegemite", quantity: 1 },
                ],
              });
              answered.push({ customer, ids: res.ids.map(String) });
            } catch {
              return; // the process is gone
            }
          }
        };
        const workers = Array.from({ length: 8 }, worker);
        while (answered.length < 50) await new Promise((r) => setTimeout(r, 5));
        chillybin.child.kill("SIGKILL");
        await Promise.all(workers);
        stop = true;
        await chillybin.exited;

        const orders = await db.selectFrom("orders").select(["id", "customer", "ingredient", "quantity"]).execute();
        const ids = new Set(orders.map((o) => String(o.id)));
        for (const a of answered) for (const id of a.ids) assert.ok(ids.has(id), `order ${id} for ${a.customer} was answered but is gone`);
        const byCustomer = new Map<string, number>();
        for (const o of orders) byCustomer.set(o.customer, (byCustomer.get(o.customer) ?? 0) + 1);
        for (const [customer, items] of byCustomer) assert.equal(items, 3, `${customer} has a half order`);
        const taken = (ingredient: string) => orders.filter((o) => o.ingredient === ingredient).reduce((sum, o) => sum + o.quantity, 0);
        const stock = Object.fromEntries((await db.selectFrom("ingredients").selectAll().execute()).map((r) => [r.name, r.quantity]));
        assert.deepEqual(stock, { bread: STOCK - taken("bread"), cheese: STOCK - taken("cheese"), vegemite: STOCK - taken("vegemite") });
        assert.ok(byCustomer.size >= answered.length);
      } finally {
        await database.drop();
      }
    });
  });
}
