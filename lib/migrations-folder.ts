import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The folder migrations live in, in the repository and beside a bundle: migrations/<service>. */
const MIGRATIONS = "migrations";

/** A service's migrations folder, repository-relative ("migrations/chillybin"); a bundle has it beside main.mjs. */
export function repositoryMigrations(service: string): string {
  return `${MIGRATIONS}/${service}`;
}

/**
 * Where a service's migrations are, from the module that asks. From source,
 * services/<service>/*.ts finds <repo>/migrations/<service>. From the service's
 * bundle every module shares the bundle's URL (dist/<service>/main.mjs), and the
 * build puts the compiled migrations beside it, in migrations/<service>.
 */
export function migrationsFolder(service: string, moduleUrl: string): string {
  const besideBundle = new URL(`./${repositoryMigrations(service)}/`, moduleUrl);
  return fileURLToPath(existsSync(besideBundle) ? besideBundle : new URL(`../../${repositoryMigrations(service)}/`, moduleUrl));
}
