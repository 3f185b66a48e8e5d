// `npm run manifests -- <environment> [service…]`: prints the Kubernetes
// objects of each service (all by default) at its current version, the image
// tag included, as `kubectl apply -f -` takes them.
import { cliOrExit } from "../support/cli-args.js";
import { readEnvironment } from "./environments.js";
import { renderManifests, toYaml } from "./kubernetes.js";
import { requireService, SERVICE_NAMES } from "./services.js";
import { serviceVersion } from "./version.js";

const usage = "npm run manifests -- <environment> [service…]";
const [environmentName, ...names] = cliOrExit(process.argv.slice(2), usage, { positionals: { min: 1, max: 1 + SERVICE_NAMES.length } }).positionals as [
  string,
  ...string[],
];
try {
  const environment = readEnvironment(environmentName);
  if (environment.target !== "kubernetes") throw new Error(`${environmentName} is not a Kubernetes environment (target: ${environment.target})`);
  const services = names.length ? names.map((n) => requireService(n, usage)) : SERVICE_NAMES;
  const objects = [];
  for (const service of services) objects.push(...renderManifests(service, await serviceVersion(service, process.cwd()), environment));
  process.stdout.write(toYaml(objects));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
