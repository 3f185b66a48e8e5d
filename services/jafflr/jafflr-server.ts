import { createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/health/v1/health_pb.js";
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
  /** The largest request body or message accepted (1 MiB unless set). */
  maxBodyBytes?: number;
}

/** chillybin's own health, as its grpc.health.v1 service reports it. */
function chillybinHealthCheck(transport: Transport): () => Promise<void> {
  const health = createClient(Health, transport);
  return async () => {
    const { status } = await health.check({ service: "" }, { timeoutMs: 1_000 });
    if (status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`chillybin reports ${HealthCheckResponse_ServingStatus[status]}`);
  };
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
    maxBodyBytes: options.maxBodyBytes,
    dependencyChecks: { chillybin: chillybinHealthCheck(options.chillybinTransport) },
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
