import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Where a service's migrations are, from the module that asks. From source,
 * services/<service>/*.ts finds <repo>/migrations/<service>. From the service's
 * bundle every module shares the bundle's URL (dist/<service>/main.mjs), and the
 * build puts the compiled migrations beside it, in migrations/<service>.
 */
export function migrationsFolder(service: string, moduleUrl: string): string {
  const besideBundle = new URL(`./migrations/${service}/`, moduleUrl);
  return fileURLToPath(existsSync(besideBundle) ? besideBundle : new URL(`../../migrations/${service}/`, moduleUrl));
}
