// `npm run migrate -- up|down|status`: chillybin's schema, by hand. Uses the same
// DATABASE_URL / CHILLYBIN_DATA_DIR as the service (which also migrates up at start-up).
import { assertMigrated, createMigrator, databaseLocation, describeLocation, migrateToLatest, openDatabase } from "../lib/db/index.js";
import { startMain } from "../lib/start-main.js";
import { cliOrExit } from "./support/cli-args.js";
import { readChillybinConfig } from "../services/chillybin/config.js";
import { CHILLYBIN_MIGRATIONS } from "../services/chillybin/database.js";

const USAGE = "npm run migrate -- up|down|status";

const [command] = cliOrExit(process.argv.slice(2), USAGE, { positionals: { min: 1, max: 1 } }).positionals;
if (command !== "up" && command !== "down" && command !== "status") {
  console.error(`usage: ${USAGE}\n  unknown command "${command}"`);
  process.exit(2);
}

await startMain(async () => {
  const config = readChillybinConfig(process.env);
  const location = databaseLocation(config.databaseUrl, config.dataDir);
  const db = openDatabase(location);
  try {
    const migrator = createMigrator(db, CHILLYBIN_MIGRATIONS, config.migrationLockTimeoutMs);
    console.log(`chillybin schema on ${describeLocation(location)}`);
    if (command === "status") {
      for (const m of await migrator.getMigrations()) {
        console.log(`${m.executedAt ? `applied ${m.executedAt.toISOString()}` : "pending"}  ${m.name}`);
      }
      return;
    }
    const result =
      command === "up"
        ? await migrateToLatest(db, CHILLYBIN_MIGRATIONS, { lockTimeoutMs: config.migrationLockTimeoutMs, onRetry: console.log })
        : await migrator.migrateDown();
    for (const r of result.results ?? []) console.log(`${r.direction} ${r.migrationName}: ${r.status}`);
    if (result.results?.length === 0) console.log("nothing to do");
    assertMigrated(result);
  } finally {
    await db.destroy();
  }
});
