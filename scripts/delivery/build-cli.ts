// `npm run build -- [service…]`: bundles each service (all by default) into
// dist/<service>, a folder that runs anywhere with Node: `node main.mjs`.
// The version baked in is VERSION if set (a Docker build has no git history),
// otherwise the one computed from git.
import { buildService } from "./bundle.js";
import { requireService, SERVICE_NAMES } from "./services.js";
import { serviceVersion } from "./version.js";

const names = process.argv.slice(2);
const services = names.length ? names.map((n) => requireService(n, "npm run build -- [service…]")) : SERVICE_NAMES;
for (const service of services) {
  const version = process.env.VERSION || (await serviceVersion(service, process.cwd()));
  const outdir = await buildService(service, process.cwd(), version);
  console.log(`${service} ${version} → ${outdir}`);
}
