import type { Kysely } from "kysely";
import { pingDatabase } from "../../lib/db/index.js";
import type { Logger } from "../../lib/logger.js";
import { requireBearerToken, serve, type RunningServer } from "../../lib/server/index.js";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";
import type { ChillybinDatabase } from "./database.js";
import { chillybinMetrics } from "./metrics.js";
import { PickBatcher } from "./pick-batcher.js";
import { chillybinRoutes } from "./service.js";

export interface ChillybinServerOptions {
  db: Kysely<ChillybinDatabase>;
  port: number;
  host?: string;
  version: string;
  logger: Logger;
  drainTimeoutMs?: number;
  /** The largest request body or message accepted (1 MiB unless set). */
  maxBodyBytes?: number;
  /** When set, administrative calls (Restock) need "Authorization: Bearer <adminToken>". */
  adminToken?: string;
}

/** The calls that change stock for everyone rather than take some of it. */
export const ADMIN_RPCS = [`${ChillybinService.typeName}/${ChillybinService.method.restock.name}`];

/** chillybin on one port: its RPCs, their REST paths, and health that follows the database. */
export function startChillybinServer(options: ChillybinServerOptions): Promise<RunningServer> {
  const batcher = new PickBatcher(options.db);
  return serve({
    routes: chillybinRoutes(options.db, batcher),
    port: options.port,
    host: options.host,
    version: options.version,
    logger: options.logger,
    drainTimeoutMs: options.drainTimeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    readinessChecks: [() => pingDatabase(options.db)],
    metrics: chillybinMetrics(options.db, options.logger, batcher),
    interceptors: options.adminToken ? [requireBearerToken(options.adminToken, ADMIN_RPCS)] : [],
  });
}
