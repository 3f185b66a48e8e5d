// `npm run build -- [service…]`: bundles each service (all by default) into
// dist/<service>, a folder that runs anywhere with Node: `node main.mjs`.
// The version baked in is VERSION if set (a Docker build has no git history),
// otherwise the one computed from git.
import { cliOrExit } from "../support/cli-args.js";
import { buildService } from "./bundle.js";
import { requireService, SERVICE_NAMES } from "./services.js";
import { serviceVersion } from "./version.js";

const USAGE = "npm run build -- [service…]";
const names = cliOrExit(process.argv.slice(2), USAGE, { positionals: { min: 0, max: SERVICE_NAMES.length } }).positionals;
const services = names.length ? names.map((n) => requireService(n, USAGE)) : SERVICE_NAMES;
for (const service of services) {
  const version = process.env.VERSION || (await serviceVersion(service, process.cwd()));
  const { folder: outdir } = await buildService(service, process.cwd(), version);
  console.log(`${service} ${version} → ${outdir}`);
}
