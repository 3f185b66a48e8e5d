import type { Transport } from "@connectrpc/connect";
import { Gauge } from "prom-client";
import type { Logger } from "../../lib/logger.js";
import { serve, type RunningServer } from "../../lib/server/index.js";
import { createChillybinClients } from "./chillybin-client.js";
import type { Kitchen } from "./kitchen.js";
import type { PickVersion } from "./pick-version.js";
import { jafflrRoutes } from "./service.js";

export interface JafflrServerOptions {
  /** How jafflr reaches chillybin. */
  chillybinTransport: Transport;
  chillybinTimeoutMs: number;
  kitchen: Kitchen;
  pickVersion: PickVersion;
  port: number;
  host?: string;
  version: string;
  logger: Logger;
  drainTimeoutMs?: number;
}

/** jafflr on one port: its RPCs and their REST paths. */
export function startJafflrServer(options: JafflrServerOptions): Promise<RunningServer> {
  return serve({
    routes: jafflrRoutes({
      chillybin: createChillybinClients(options.chillybinTransport),
      kitchen: options.kitchen,
      pickVersion: options.pickVersion,
      chillybinTimeoutMs: options.chillybinTimeoutMs,
    }),
    port: options.port,
    host: options.host,
    version: options.version,
    logger: options.logger,
    drainTimeoutMs: options.drainTimeoutMs,
    metrics: (registry) => {
      const kitchen = options.kitchen;
      new Gauge({
        name: "jafflr_toasties_cooking",
        help: "Toasties cooking right now.",
        registers: [registry],
        collect() {
          this.set(kitchen.cooking);
        },
      });
    },
  });
}
