// chillybin as the provider under verification: a real chillybin on a scratch
// database, and state handlers that set each provider state up through that
// database. The contract gate (can-i-deploy) and the contract tests both use it.
import { Verifier, type VerifierOptions } from "@pact-foundation/pact";
import type { ScratchChillybin } from "../support/scratch-chillybin.js";
import type { BrokerSettings } from "./pact-broker-cli.js";
import { PROVIDER, STATES, type StockLevels, type StockParams } from "./provider-states.js";

/** State handlers: each provider state becomes rows in the database. */
export function stateHandlers(chillybin: ScratchChillybin): VerifierOptions["stateHandlers"] {
  const params = (p: unknown) => p as StockParams;
  return {
    [STATES.stock]: async (p?: unknown) => {
      const { levels, absent = [] } = p as StockLevels;
      await chillybin.setStock(levels);
      if (absent.length) await chillybin.db.deleteFrom("ingredients").where("name", "in", absent).execute();
      return undefined;
    },
    [STATES.inStock]: async (p?: unknown) => {
      await chillybin.setStock({ [params(p).ingredient]: params(p).quantity ?? 10 });
    },
    [STATES.outOfStock]: async (p?: unknown) => {
      await chillybin.setStock({ [params(p).ingredient]: 0 });
    },
    [STATES.unknown]: async (p?: unknown) => {
      await chillybin.db.deleteFrom("ingredients").where("name", "=", params(p).ingredient).execute();
    },
  };
}

/**
 * Feature branches' pacts published since this day are verified as work in
 * progress (WIP) by chillybin's main build: the day this project's broker
 * workflow began, so no pact older than the workflow is ever pulled in.
 */
export const WIP_PACTS_SINCE = "2026-12-01";

/** The broker and who is verifying: chillybin at a version, built from a git branch. */
export interface BrokerVerification {
  broker: BrokerSettings;
  providerVersion: string;
  providerVersionBranch: string;
}

function brokerAccess({ broker, providerVersion, providerVersionBranch }: BrokerVerification): Partial<VerifierOptions> {
  const signIn = broker.token
    ? { pactBrokerToken: broker.token }
    : broker.username
      ? { pactBrokerUsername: broker.username, pactBrokerPassword: broker.password }
      : {}; // the verifier refuses an option present but undefined
  return { pactBrokerUrl: broker.url, ...signIn, publishVerificationResult: true, providerVersion, providerVersionBranch };
}

/**
 * How chillybin's build verifies what the broker selects, publishing every
 * result: the pacts of jafflr's main branch, of the same branch as this build,
 * and of every deployed or released jafflr. A pact no chillybin of this branch
 * has verified yet is pending (its failure is published but fails no build),
 * and feature branches' pacts since WIP_PACTS_SINCE are verified as WIP.
 */
export function selectedPactsVerification(who: BrokerVerification): Partial<VerifierOptions> {
  return {
    ...brokerAccess(who),
    consumerVersionSelectors: [{ mainBranch: true }, { matchingBranch: true }, { deployedOrReleased: true }],
    enablePending: true,
    includeWipPactsSince: WIP_PACTS_SINCE,
    failIfNoPactsFound: false,
  };
}

/** Verifying exactly one pact the broker named (a webhook's pactUrl), publishing the result. */
export function onePactVerification(who: BrokerVerification, pactUrl: string): Partial<VerifierOptions> {
  const { pactBrokerUrl: _selection, ...access } = brokerAccess(who);
  return { ...access, pactUrls: [pactUrl] };
}

/** Verifies a running chillybin against pacts (files, or a broker's, per the options). */
export async function verifyProvider(chillybin: ScratchChillybin, options: Partial<VerifierOptions>): Promise<void> {
  await new Verifier({
    provider: PROVIDER,
    providerBaseUrl: chillybin.server.url,
    stateHandlers: stateHandlers(chillybin),
    logLevel: "warn",
    ...options,
  }).verifyProvider();
}
