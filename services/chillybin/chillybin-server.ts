import type { Kysely } from "kysely";
import { pingDatabase } from "../../lib/db/index.js";
import { requireBearerToken, serve, type RunningServer, type ServiceServerOptions } from "../../lib/server/index.js";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";
import type { ChillybinDatabase } from "./database.js";
import { chillybinMetrics } from "./metrics.js";
import { createBatchers } from "./batchers.js";
import { chillybinErrorCodes, chillybinRoutes } from "./service.js";
import { countV1PickCallers } from "./v1-pick-callers.js";

export interface ChillybinServerOptions extends ServiceServerOptions {
  db: Kysely<ChillybinDatabase>;
  /** When set, administrative calls (Restock) need "Authorization: Bearer <adminToken>". */
  adminToken?: string;
}

/** The calls that change stock for everyone rather than take some of it. */
export const ADMIN_RPCS = [`${ChillybinService.typeName}/${ChillybinService.method.restock.name}`];

/** chillybin on one port: its RPCs, their REST paths, and health that follows the database. */
export function startChillybinServer({ db, adminToken, ...server }: ChillybinServerOptions): Promise<RunningServer> {
  const batchers = createBatchers(db);
  const v1PickCallers = countV1PickCallers();
  return serve({
    ...server,
    routes: chillybinRoutes(db, batchers),
    errorCodes: chillybinErrorCodes,
    readinessChecks: [() => pingDatabase(db)],
    metrics: (registry) => {
      chillybinMetrics(db, server.logger, batchers)(registry);
      v1PickCallers.metrics(registry);
    },
    interceptors: [v1PickCallers.interceptor, ...(adminToken ? [requireBearerToken(adminToken, ADMIN_RPCS)] : [])],
  });
}
