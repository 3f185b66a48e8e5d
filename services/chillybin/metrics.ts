import { Counter, Gauge, type Registry } from "prom-client";
import type { poolUsage } from "../../lib/db/index.js";
import type { Logger } from "../../lib/logger.js";
import type { Batchers } from "./batchers.js";

/** What chillybin's metrics read. */
export interface ChillybinMetricsSources {
  /** Every ingredient's quantity (read no longer than DATABASE_TIMEOUT_MS: a scrape must not hold a connection while a lock is held). */
  stock: () => Promise<Record<string, number>>;
  batchers: Batchers;
  /** The database pool's connections (undefined for the embedded database). */
  pool: () => ReturnType<typeof poolUsage>;
  /** How many idempotency keys are kept (IDEMPOTENCY_KEY_TTL bounds it), counted no longer than DATABASE_TIMEOUT_MS. */
  keys: () => Promise<number>;
  logger: Logger;
}

/**
 * chillybin's own metrics, read when Prometheus scrapes: the stock of each
 * ingredient, the database pool's connections, and how picks share
 * statements and orders share transactions. A scrape while the database is down, or a table is locked,
 * leaves the stock out and reports the key count as NaN, rather than failing the scrape or waiting for it.
 */
export function chillybinMetrics({ stock, batchers, pool, keys, logger }: ChillybinMetricsSources): (registry: Registry) => void {
  return (registry) => {
    new Gauge({
      name: "chillybin_idempotency_keys",
      help: "Idempotency keys kept, with their answers (each for IDEMPOTENCY_KEY_TTL, then pruned).",
      registers: [registry],
      async collect() {
        try {
          this.set(await keys());
        } catch (error) {
          // Not known, rather than none kept: NaN (a series without labels cannot be left out, as the stock is).
          this.set(Number.NaN);
          logger.warn({ err: error }, "idempotency keys unavailable for metrics");
        }
      },
    });
    new Gauge({
      name: "chillybin_stock",
      help: "Quantity in stock, by ingredient.",
      labelNames: ["ingredient"],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const [ingredient, quantity] of Object.entries(await stock())) this.set({ ingredient }, quantity);
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
        const usage = pool();
        if (!usage) return;
        const { acquireTimeouts: _counted, ...states } = usage;
        for (const [state, value] of Object.entries(states)) this.set({ state }, value);
      },
    });
    // rate(picks) / rate(batches): how many picks a statement carries (1 when idle, more under contention).
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counter(
      "chillybin_pick_batches_total",
      "Statements sent for v1 picks without an idempotency key (concurrent picks of one ingredient share one).",
      () => batchers.picks.totals.batches,
    );
    counter("chillybin_batched_picks_total", "v1 picks sent in those statements.", () => batchers.picks.totals.picks);
    // rate(orders) / rate(batches): how many orders (toasties, v2 picks) a transaction carries.
    counter(
      "chillybin_order_batches_total",
      "Transactions run for v2 picks and orders without an idempotency key (concurrent orders share one).",
      () => batchers.orders.totals.batches,
    );
    counter("chillybin_batched_orders_total", "v2 picks and orders taken in those transactions.", () => batchers.orders.totals.orders);
    counter(
      "db_pool_acquire_timeouts_total",
      "Waits for a database pool connection that passed DATABASE_TIMEOUT_MS (the call failed UNAVAILABLE).",
      () => pool()?.acquireTimeouts ?? 0,
    );
  };
}
