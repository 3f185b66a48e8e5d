import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health as HealthService, HealthCheckResponse_ServingStatus as Status, HealthCheckResponseSchema } from "../../../gen/grpc/health/v1/health_pb.js";
import type { Health, HealthReport } from "../observability/index.js";

/**
 * The name Kubernetes' liveness probe checks: SERVING whenever the process
 * answers, even while its database is down or it drains, because restarting
 * it would cure neither. Readiness checks "" (the server as a whole).
 */
export const LIVENESS_SERVICE = "liveness";

/** How often Watch looks for a change. */
const WATCH_INTERVAL_MS = 1_000;

/**
 * grpc.health.v1.Health, what Kubernetes gRPC probes, grpcurl and load
 * balancers call. "" is the server as a whole; each served RPC service has
 * the same status (they share the process and the database); each dependency
 * (e.g. "chillybin" for jafflr) has its own; "liveness" is the process alone.
 */
export function grpcHealthRoutes(health: Health, serviceNames: () => readonly string[]): (router: ConnectRouter) => void {
  /** "" and each served service: the server's own status. */
  const theServer = (service: string) => service === "" || serviceNames().includes(service);
  const reported = (service: string) => theServer(service) || health.dependencyNames.includes(service);
  /** A service's status in a report (the served services share the server's; a dependency has its own). */
  const statusIn = (service: string, report: HealthReport): Status => {
    const serving = theServer(service) ? report.serving : report.dependencies[service]?.serving;
    return serving ? Status.SERVING : Status.NOT_SERVING;
  };
  const status = async (service: string, report: () => Promise<HealthReport> = () => health.report()): Promise<Status | undefined> => {
    if (service === LIVENESS_SERVICE) return Status.SERVING;
    return reported(service) ? statusIn(service, await report()) : undefined;
  };
  // Watchers look at one report between them, at most one a WATCH_INTERVAL_MS: a client opening
  // many watches (as many as its requests in flight) would otherwise have the checks, a database
  // ping each, run that many times a second. Shutting down is seen at once.
  let recent: { at: number; report: Promise<HealthReport> } | undefined;
  const recentReport = (): Promise<HealthReport> => {
    if (health.isShuttingDown) return health.report();
    if (!recent || Date.now() - recent.at >= WATCH_INTERVAL_MS) recent = { at: Date.now(), report: health.report() };
    return recent.report;
  };
  return (router) => {
    router.service(HealthService, {
      async check(req) {
        const current = await status(req.service);
        if (current === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
        return create(HealthCheckResponseSchema, { status: current });
      },
      async *watch(req, ctx) {
        let last: Status | undefined;
        while (!ctx.signal.aborted) {
          const current = (await status(req.service, recentReport)) ?? Status.SERVICE_UNKNOWN;
          if (current !== last) {
            last = current;
            yield create(HealthCheckResponseSchema, { status: current });
          }
          // A watch must not hold up a graceful shutdown: tell the watcher, then end.
          if (health.isShuttingDown) return;
          await sleep(WATCH_INTERVAL_MS, undefined, { signal: ctx.signal }).catch(() => {});
        }
        // Ended by its deadline, its caller or the server giving up: the stream says so, never OK.
        throw ConnectError.from(ctx.signal.reason, Code.Canceled);
      },
      async list() {
        const report = await health.report();
        const of = (serving: boolean) => create(HealthCheckResponseSchema, { status: serving ? Status.SERVING : Status.NOT_SERVING });
        return {
          statuses: {
            "": of(report.serving),
            [LIVENESS_SERVICE]: of(true),
            ...Object.fromEntries(serviceNames().map((name) => [name, of(report.serving)])),
            ...Object.fromEntries(Object.entries(report.dependencies).map(([name, r]) => [name, of(r.serving)])),
          },
        };
      },
    });
  };
}
