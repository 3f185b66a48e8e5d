import { Gauge, type Registry } from "prom-client";
import type { Kitchen } from "./kitchen.js";

/**
 * jafflr's own metrics, beside the server's: the toasties cooking right now,
 * and the state of its circuit to chillybin when the transport has one.
 */
export function jafflrMetrics(kitchen: Kitchen, chillybinCircuit?: () => number): (registry: Registry) => void {
  return (registry) => {
    if (chillybinCircuit) {
      new Gauge({
        name: "jafflr_chillybin_circuit_state",
        help: "jafflr's circuit breaker to chillybin: 0 closed (calls go through), 1 open (calls fail at once), 2 half-open (one call tries).",
        registers: [registry],
        collect() {
          this.set(chillybinCircuit());
        },
      });
    }
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
