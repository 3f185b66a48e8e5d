// chillybin as the provider under verification: a real chillybin on a scratch
// database, and state handlers that set each provider state up through that
// database. The contract gate (can-i-deploy) and the contract tests both use it.
import { Verifier, type VerifierOptions } from "@pact-foundation/pact";
import type { ScratchChillybin } from "../support/scratch-chillybin.js";
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
