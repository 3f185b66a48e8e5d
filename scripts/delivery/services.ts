// The services this repository delivers, and what the import graph cannot
// tell about each: where it starts and which migrations it runs, if any (they
// are loaded from a folder at run time, not imported).
// Where migrations live, on its own (not lib/db's index: that pulls in PGlite, pg and Kysely, which npm start's launcher never uses).
import { repositoryMigrations } from "../../lib/migrations-folder.js";
// The ports alone, not the services' configuration: npm start's launcher reads this before it
// starts anything, and a service's config module pulls in its whole server.
import { CHILLYBIN_PORT } from "../../services/chillybin/port.js";
import { JAFFLR_PORT } from "../../services/jafflr/port.js";

interface Service {
  entry: string;
  /** A folder of numbered migrations the service runs at start-up. */
  migrations?: string;
  /**
   * Programs the service runs as processes of their own, by file (so no import
   * reaches them): each is bundled beside main.mjs as <its name>.mjs.
   */
  programs?: readonly string[];
  portEnv: string;
  port: number;
}

export const SERVICES = {
  chillybin: {
    entry: "services/chillybin/main.ts",
    migrations: repositoryMigrations("chillybin"),
    // A new embedded database's data folder is made in a process of its own (lib/db/open-database.ts).
    programs: ["lib/db/initialise-data-folder.ts"],
    portEnv: CHILLYBIN_PORT.variable,
    port: CHILLYBIN_PORT.default,
  },
  // jafflr keeps no data of its own.
  jafflr: { entry: "services/jafflr/main.ts", portEnv: JAFFLR_PORT.variable, port: JAFFLR_PORT.default },
} as const satisfies Record<string, Service>;

export type ServiceName = keyof typeof SERVICES;

/** The programs a service runs as processes of its own (see Service.programs). */
export function programsOf(service: ServiceName): readonly string[] {
  return (SERVICES[service] as Service).programs ?? [];
}

/** The folder of a service's migrations, if it has any. */
export function migrationsOf(service: ServiceName): string | undefined {
  return (SERVICES[service] as Service).migrations;
}

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

export function isServiceName(name: string | undefined): name is ServiceName {
  return name !== undefined && Object.hasOwn(SERVICES, name);
}

/** Exits with a usage line unless `name` is a service. */
export function requireService(name: string | undefined, usage: string): ServiceName {
  if (isServiceName(name)) return name;
  console.error(`usage: ${usage}\n  <service> is one of: ${SERVICE_NAMES.join(", ")}${name ? ` (got "${name}")` : ""}`);
  process.exit(2);
}

/**
 * V8 settings each service runs with (npm start, its image's CMD, the local
 * deploy target, the benchmark): a young generation of 8 MB semi-spaces and a
 * 96 MB old generation bound a service's heap under load (about 150 MB
 * resident on Node 24, instead of the ~175 MB V8's defaults grow to; 4 MB
 * semi-spaces hold 7–10 MB less but cost CPU on every call, npm run bench).
 * --expose-gc lets a service give what a load grew back once its calls stop
 * (lib/memory-at-rest.ts): nothing else calls gc(). --liftoff-only keeps
 * WebAssembly on V8's baseline compiler: the only WebAssembly a service runs is
 * chillybin's embedded PostgreSQL (PGlite), whose largest functions V8's
 * optimising compiler took ~450 MB to tier up, for the first few thousand
 * statements (5,000 updates: 663 MB resident at the peak against 180 MB, and
 * 2.2 s against 1.9 s, tier-up competing for the two cores; once tiered up,
 * statements ran ~10% faster).
 */
export const NODE_FLAGS = ["--max-semi-space-size=8", "--max-old-space-size=96", "--expose-gc", "--liftoff-only"] as const;

/** The file a bundle starts from (npm run build writes it; the images run it). */
export const BUNDLE_MAIN = "main.mjs";

/** node's arguments to run a bundle, from its folder: the V8 settings, then the bundle. */
export const RUN_BUNDLE_ARGS = [...NODE_FLAGS, BUNDLE_MAIN];
