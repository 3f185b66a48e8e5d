import type { Interceptor } from "@connectrpc/connect";
import { Counter, type Registry } from "prom-client";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";

/** At most this many distinct callers get a label of their own; the rest count as "other". */
const MAX_CALLERS = 20;

/** The client family a User-Agent names ("grpc-node-js/1.14" → "grpc-node-js"), or "unknown". */
export function callerOf(userAgent: string | null): string {
  const family = /^[A-Za-z0-9._-]{1,40}/.exec(userAgent ?? "")?.[0]?.toLowerCase();
  return family ?? "unknown";
}

/**
 * Counts calls of the deprecated v1 Pick by who makes them (their client's
 * User-Agent family), so operators see when nothing calls it any more and it
 * can be deleted (step 3; ops/prometheus/alerts.yml tells when). The labels
 * are bounded: a caller past the first MAX_CALLERS counts as "other".
 */
export function countV1PickCallers(): { interceptor: Interceptor; metrics: (registry: Registry) => void } {
  const counts = new Map<string, number>();
  const interceptor: Interceptor = (next) => (req) => {
    if (req.service.typeName === v1.ChillybinService.typeName && req.method.name === v1.ChillybinService.method.pick.name) {
      let caller = callerOf(req.header.get("user-agent"));
      if (!counts.has(caller) && counts.size >= MAX_CALLERS) caller = "other";
      counts.set(caller, (counts.get(caller) ?? 0) + 1);
    }
    return next(req);
  };
  const metrics = (registry: Registry) => {
    new Counter({
      name: "chillybin_v1_pick_calls_total",
      help: "Calls of the deprecated chillybin.v1 Pick, by caller (User-Agent family); none for long enough: delete it.",
      labelNames: ["caller"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [caller, count] of counts) this.inc({ caller }, count);
      },
    });
  };
  return { interceptor, metrics };
}
