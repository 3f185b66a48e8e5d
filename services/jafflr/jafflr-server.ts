import type { Transport } from "@connectrpc/connect";
import type { Logger } from "../../lib/logger.js";
import { serve, type RunningServer } from "../../lib/server/index.js";
import { createChillybinClient } from "./chillybin-client.js";
import type { Kitchen } from "./kitchen.js";
import { jafflrRoutes } from "./service.js";

export interface JafflrServerOptions {
  /** How jafflr reaches chillybin. */
  chillybinTransport: Transport;
  chillybinTimeoutMs: number;
  kitchen: Kitchen;
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
      chillybin: createChillybinClient(options.chillybinTransport),
      kitchen: options.kitchen,
      chillybinTimeoutMs: options.chillybinTimeoutMs,
    }),
    port: options.port,
    host: options.host,
    version: options.version,
    logger: options.logger,
    drainTimeoutMs: options.drainTimeoutMs,
  });
}
