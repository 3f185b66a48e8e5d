// Verifies a chillybin variant against pacts in a process of its own:
//   node --import tsx test/contract/support/verify-variant-cli.ts <variant> '<VerifierOptions JSON>'
// Exits 0 when verification passes, 1 with the report when it fails. Pact's
// verifier (native code) prints its report straight to stdout; tests that
// expect a failure run it here, so the report is captured and asserted on
// instead of filling a green `npm test` with failures.
import type { VerifierOptions } from "@pact-foundation/pact";
import { verifyProvider } from "../../../scripts/contract/chillybin-provider.js";
import { type ProviderVariant, startProvider } from "./chillybin-provider.js";

const [variant, options] = process.argv.slice(2);
const chillybin = await startProvider(variant as ProviderVariant);
let failed = false;
try {
  await verifyProvider(chillybin, JSON.parse(options ?? "{}") as Partial<VerifierOptions>);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  failed = true;
} finally {
  await chillybin.stop();
}
// Exit explicitly: closing the embedded database (Emscripten) resets process.exitCode.
process.exit(failed ? 1 : 0);
