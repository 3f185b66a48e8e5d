// node --import tsx scripts/proto/http-bindings-cli.ts <base.binpb> <head.binpb>
// Fails (exit 1), naming each, when head removes or changes a REST binding base has.
import { removedBindings } from "./http-bindings.js";

const [base, head] = process.argv.slice(2);
if (!base || !head) {
  console.error("usage: http-bindings-cli.ts <base image> <head image> (from buf build proto -o …)");
  process.exit(2);
}
const removed = removedBindings(base, head);
for (const binding of removed) console.error(`REST binding removed or changed: ${binding}`);
process.exit(removed.length > 0 ? 1 : 0);
