// `npm run version -- <service>`: prints the service's version (see version.ts).
// `--files` lists the dependency closure it was computed from instead.
import { cliOrExit } from "../support/cli-args.js";
import { requireService } from "./services.js";
import { dependencyClosure, serviceVersion } from "./version.js";

const USAGE = "npm run version -- <service> [--files]";
const { positionals, values } = cliOrExit(process.argv.slice(2), USAGE, { flags: { files: { type: "boolean" } }, positionals: { min: 1, max: 1 } });
const service = requireService(positionals[0], USAGE);
if (values.files) console.log((await dependencyClosure(service, process.cwd())).join("\n"));
else console.log(await serviceVersion(service, process.cwd()));
