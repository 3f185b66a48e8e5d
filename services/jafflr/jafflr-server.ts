import { createClient, createContextValues, type Transport } from "@connectrpc/connect";
import { healthProbe } from "../../lib/client/index.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { serve, type RunningServer, type ServiceServerOptions } from "../../lib/server/index.js";
import { chillybinCircuitState, createChillybinClients } from "./chillybin-client.js";
import type { Kitchen } from "./kitchen.js";
import { jafflrMetrics } from "./metrics.js";
import { jafflrRoutes } from "./service.js";

export interface JafflrServerOptions extends ServiceServerOptions {
  /** How jafflr reaches chillybin. */
  chillybinTransport: Transport;
  chillybinTimeoutMs: number;
  kitchen: Kitchen;
  /** Who a toastie ordered without a customer is recorded for. */
  defaultCustomer: string;
}

/**
 * chillybin's own health, as its grpc.health.v1 service reports it. A probe:
 * it bypasses the retries and circuit breaker toasties go through, so polling
 * jafflr's /health while chillybin starts cannot open the circuit.
 */
function chillybinHealthCheck(transport: Transport): () => Promise<void> {
  const health = createClient(Health, transport);
  return async () => {
    const { status } = await health.check({ service: "" }, { timeoutMs: 1_000, contextValues: createContextValues().set(healthProbe, true) });
    if (status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error(`chillybin reports ${HealthCheckResponse_ServingStatus[status]}`);
  };
}

/** jafflr on one port: its RPCs and their REST paths. */
export function startJafflrServer({
  chillybinTransport,
  chillybinTimeoutMs,
  kitchen,
  defaultCustomer,
  ...server
}: JafflrServerOptions): Promise<RunningServer> {
  return serve({
    ...server,
    routes: jafflrRoutes({ chillybin: createChillybinClients(chillybinTransport), kitchen, defaultCustomer, chillybinTimeoutMs }),
    dependencyChecks: { chillybin: chillybinHealthCheck(chillybinTransport) },
    metrics: jafflrMetrics(kitchen, chillybinCircuitState(chillybinTransport)),
    openApi: { title: "jafflr" },
  });
}
