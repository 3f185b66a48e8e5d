import { OpenFeature, ProviderEvents, type Client } from "@openfeature/server-sdk";
import type { FlagdDefinitionsProvider } from "../../lib/flags/index.js";

let domains = 0;

/** Registers a provider under a domain of its own, so tests never share OpenFeature state. */
export async function clientFor(provider: FlagdDefinitionsProvider): Promise<Client> {
  const domain = `test-${process.pid}-${++domains}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  return OpenFeature.getClient(domain);
}

/** Resolves on the provider's next ConfigurationChanged event. */
export function nextChange(provider: FlagdDefinitionsProvider): Promise<unknown> {
  return new Promise((resolve) => provider.events.addHandler(ProviderEvents.ConfigurationChanged, function handler() {
    provider.events.removeHandler(ProviderEvents.ConfigurationChanged, handler);
    resolve(undefined);
  }));
}


/** A flagd document with pick-v2 on for the listed customers and a fractional rollout for the rest. */
export function pickV2Flags(customers: string[], percentOnForOthers = 0): string {
  return JSON.stringify({
    flags: {
      "pick-v2": {
        state: "ENABLED",
        variants: { on: true, off: false },
        defaultVariant: "off",
        targeting: {
          if: [{ in: [{ var: "customer" }, customers] }, "on", { fractional: [{ var: "customer" }, ["on", percentOnForOthers], ["off", 100 - percentOnForOthers]] }],
        },
      },
    },
  });
}
