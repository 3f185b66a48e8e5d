// `npm run version -- <service>`: prints the service's version (see version.ts).
// `--files` lists the dependency closure it was computed from instead.
import { requireService } from "./services.js";
import { dependencyClosure, serviceVersion } from "./version.js";

const args = process.argv.slice(2);
const service = requireService(
  args.find((a) => !a.startsWith("--")),
  "npm run version -- <service> [--files]",
);
if (args.includes("--files")) console.log((await dependencyClosure(service, process.cwd())).join("\n"));
else console.log(await serviceVersion(service, process.cwd()));
