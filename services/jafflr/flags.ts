import { OpenFeature } from "@openfeature/server-sdk";
import { migrateToLatest, migrationsFolder, openDatabase } from "../../lib/db/index.js";
import { databaseSource, fileSource, FlagdDefinitionsProvider, staticSource, type DefinitionsSource, type FlagsDatabase } from "../../lib/flags/index.js";
import type { Logger } from "../../lib/logger.js";
import type { FlagsConfig } from "./config.js";
import { ALWAYS_V1, pickVersionFromFlags, type PickVersion } from "./pick-version.js";

/** Where jafflr's migrations (the feature_flags table) live: migrations/jafflr, in the repository or beside the bundle. */
export const JAFFLR_MIGRATIONS = migrationsFolder("jafflr", import.meta.url);

export interface JafflrFlags {
  pickVersion: PickVersion;
  close(): Promise<void>;
}

/**
 * jafflr's feature flags through OpenFeature, from the configured source.
 * `domain` names this jafflr's provider in OpenFeature's registry, so several
 * (in tests) can run in one process with their own flags.
 */
export async function openJafflrFlags(config: FlagsConfig, logger: Logger, domain = "jafflr"): Promise<JafflrFlags> {
  if (config.source === "none") {
    logger.info("no flag source (FLAGS_FILE, FLAGS_JSON or FLAGS_DATABASE_URL): every customer picks with v1");
    return { pickVersion: ALWAYS_V1, close: async () => {} };
  }
  let source: DefinitionsSource;
  let closeDatabase = async () => {};
  if (config.source === "file") source = fileSource(config.path, { pollMs: config.pollMs, logger });
  else if (config.source === "env") source = staticSource(config.json, "environment variable FLAGS_JSON");
  else {
    const db = openDatabase<FlagsDatabase>({ kind: "postgres", url: config.url, poolSize: 2 });
    await migrateToLatest(db, JAFFLR_MIGRATIONS);
    source = databaseSource(db, { pollMs: config.pollMs, logger });
    closeDatabase = () => db.destroy();
  }
  const provider = new FlagdDefinitionsProvider(source, logger);
  await OpenFeature.setProviderAndWait(domain, provider);
  return {
    pickVersion: pickVersionFromFlags(OpenFeature.getClient(domain), logger),
    async close() {
      await provider.onClose(); // stops its source; other domains' providers keep running
      await closeDatabase();
    },
  };
}
