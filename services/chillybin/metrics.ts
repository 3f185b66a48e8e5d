import type { Kysely } from "kysely";
import { Gauge, type Registry } from "prom-client";
import { poolUsage } from "../../lib/db/index.js";
import type { Logger } from "../../lib/logger.js";
import type { ChillybinDatabase } from "./database.js";
import { Stock } from "./stock.js";

/**
 * chillybin's own metrics, read when Prometheus scrapes: the stock of each
 * ingredient, and the database pool's connections. A scrape while the
 * database is down leaves the stock out rather than failing the scrape.
 */
export function chillybinMetrics(db: Kysely<ChillybinDatabase>, logger: Logger): (registry: Registry) => void {
  const stock = new Stock(db);
  return (registry) => {
    new Gauge({
      name: "chillybin_stock",
      help: "Quantity in stock, by ingredient.",
      labelNames: ["ingredient"],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const [ingredient, quantity] of Object.entries(await stock.levels())) this.set({ ingredient }, quantity);
        } catch (error) {
          logger.warn({ err: error }, "stock levels unavailable for metrics");
        }
      },
    });
    new Gauge({
      name: "db_pool_connections",
      help: "Database pool connections by state (total, idle, waiting clients, max).",
      labelNames: ["state"],
      registers: [registry],
      collect() {
        const usage = poolUsage(db);
        if (!usage) return;
        for (const [state, value] of Object.entries(usage)) this.set({ state }, value);
      },
    });
  };
}
