// Variants of chillybin as the provider under verification, standing in for
// provider changes the contract must catch. Verification itself (state
// handlers, the Verifier) is scripts/contract/chillybin-provider.ts, which the
// contract gate uses too.
import { create } from "@bufbuild/protobuf";
import { ConnectError, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { silentLogger } from "../../../lib/logger.js";
import { serve, type ErrorCodes } from "../../../lib/server/index.js";
import { chillybinErrorCodes, chillybinRoutes, chillybinV1Impl, chillybinV2Impl, deadlinesWithin } from "../../../services/chillybin/service.js";
import { stripVTControlCharacters } from "node:util";
import type { VerifierOptions } from "@pact-foundation/pact";
import { type ChillybinParts, composeChillybin } from "../../../services/chillybin/chillybin-server.js";
import { runTs } from "../../../scripts/support/processes.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";

export type ProviderVariant =
  /** chillybin as it is. */
  | "real"
  /** v1 Pick deleted (step 3 of the three-step change, done too early). */
  | "without-v1-pick"
  /** v2 PickOrder answers only the first release's positional ids, not the named orders jafflr reads. */
  | "v2-without-named-orders"
  /** Refusals without their StockRefusal detail (only the message says which ingredient). */
  | "without-refusal-details";

/** Each variant's routes, over chillybin's parts built on the provider's database. */
export const PROVIDER_VARIANTS: Record<ProviderVariant, (parts: ChillybinParts) => (router: ConnectRouter) => void> = {
  real: chillybinRoutes,
  "without-v1-pick": (parts) => (router) => {
    const { getStock, restock } = chillybinV1Impl(parts.stock, parts.calls, deadlinesWithin(parts.databaseTimeoutMs));
    router.service(v1.ChillybinService, { getStock, restock });
    router.service(v2.ChillybinService, chillybinV2Impl(parts.calls, deadlinesWithin(parts.databaseTimeoutMs)));
  },
  "without-refusal-details": chillybinRoutes,
  "v2-without-named-orders": (parts) => (router) => {
    router.service(v1.ChillybinService, chillybinV1Impl(parts.stock, parts.calls, deadlinesWithin(parts.databaseTimeoutMs)));
    const real = chillybinV2Impl(parts.calls, deadlinesWithin(parts.databaseTimeoutMs));
    router.service(v2.ChillybinService, {
      ...real,
      async pickOrder(req, ctx) {
        const { ids } = await real.pickOrder!(req, ctx);
        return create(v2.PickOrderResponseSchema, { ids });
      },
    });
  },
};

/** How each variant's refusals become codes: as chillybin's, except where the variant changes that. */
const ERROR_CODES: Partial<Record<ProviderVariant, ErrorCodes>> = {
  "without-refusal-details": (error) => {
    const real = chillybinErrorCodes(error);
    return real && new ConnectError(real.rawMessage, real.code);
  },
};

/** A running chillybin of the given variant, on its own test database. */
export async function startProvider(variant: ProviderVariant): Promise<TestChillybin> {
  const chillybin = await startChillybin();
  if (variant === "real") return chillybin;
  await chillybin.server.close();
  const errorCodes = ERROR_CODES[variant] ?? chillybinErrorCodes;
  const server = await serve({
    routes: PROVIDER_VARIANTS[variant](composeChillybin(chillybin.db)),
    errorCodes,
    port: 0,
    version: variant,
    logger: silentLogger(),
  });
  return {
    ...chillybin,
    server,
    stop: async () => {
      await server.close();
      await chillybin.database.drop();
    },
  };
}

/**
 * Verifies a variant in a child process (verify-variant-cli.ts), answering
 * the verifier's output when verification fails and undefined when it passes.
 */
export async function failedVerification(variant: ProviderVariant, options: Partial<VerifierOptions>): Promise<string | undefined> {
  const child = runTs("test/contract/support/verify-variant-cli.ts", {}, [variant, JSON.stringify(options)]);
  const code = await child.exited;
  const output = stripVTControlCharacters(child.lines.join("\n"));
  if (code === 0) return undefined;
  if (code !== 1) throw new Error(`verifying ${variant} ended with ${code}:\n${output}`);
  return output;
}
