import type { Client } from "@openfeature/server-sdk";
import type { Logger } from "../../lib/logger.js";

/** The flag that moves a customer's picks from chillybin v1 to v2 (which records orders). */
export const PICK_V2_FLAG = "pick-v2";

/** Decides, per customer, which chillybin Pick jafflr calls. */
export interface PickVersion {
  useV2(customer: string): Promise<boolean>;
}

/**
 * Evaluates pick-v2 through OpenFeature with the customer as the evaluation
 * context (targetingKey and `customer`, for flagd targeting and fractional
 * rollouts). Off is the safe default: any evaluation error means v1, logged
 * once per distinct error so a missing flag does not flood the logs.
 */
export function pickVersionFromFlags(client: Client, logger: Logger): PickVersion {
  const reported = new Set<string>();
  return {
    async useV2(customer) {
      if (customer === "") return false; // v2 records orders, which need a customer
      const details = await client.getBooleanDetails(PICK_V2_FLAG, false, { targetingKey: customer, customer });
      if (details.errorCode) {
        const problem = `${details.errorCode}: ${details.errorMessage ?? ""}`;
        if (!reported.has(problem)) {
          reported.add(problem);
          logger.warn({ flag: PICK_V2_FLAG, problem }, "flag evaluation failed; using v1");
        }
      }
      return details.value;
    },
  };
}

/** Every customer on v1: jafflr without flags. */
export const ALWAYS_V1: PickVersion = { useV2: async () => false };
