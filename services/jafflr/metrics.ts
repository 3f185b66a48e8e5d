import { Gauge, type Registry } from "prom-client";
import type { Kitchen } from "./kitchen.js";

/** jafflr's own metrics, beside the server's: the toasties cooking right now. */
export function jafflrMetrics(kitchen: Kitchen): (registry: Registry) => void {
  return (registry) => {
    new Gauge({
      name: "jafflr_toasties_cooking",
      help: "Toasties cooking right now.",
      registers: [registry],
      collect() {
        this.set(kitchen.cooking);
      },
    });
  };
}
