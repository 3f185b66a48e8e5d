// node --import tsx scripts/proto/http-bindings-cli.ts <base.binpb> <head.binpb>
// Fails (exit 1), naming each, when head removes or changes a REST binding base has.
import { cliOrExit } from "../support/cli-args.js";
import { removedBindings } from "./http-bindings.js";

const [base, head] = cliOrExit(process.argv.slice(2), "http-bindings-cli.ts <base image> <head image> (from buf build proto -o …)", {
  positionals: { min: 2, max: 2 },
}).positionals as [string, string];
const removed = removedBindings(base, head);
for (const binding of removed) console.error(`REST binding removed or changed: ${binding}`);
process.exit(removed.length > 0 ? 1 : 0);
