// chillybin: wiring only. Reads the environment, opens and migrates the
// database, serves, and shuts down cleanly on SIGTERM/SIGINT.
import { assertNothingToMigrate, databaseLocation, databaseStartupError, describeLocation, migrateToLatest, openDatabase } from "../../lib/db/index.js";
import { createLogger } from "../../lib/logger.js";
import { keepMemoryAtRest } from "../../lib/memory-at-rest.js";
import { onShutdownSignal } from "../../lib/server/index.js";
import { startMain } from "../../lib/start-main.js";
import { startTracing } from "../../lib/telemetry.js";
import { startChillybinServer } from "./chillybin-server.js";
import { readChillybinConfig } from "./config.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "./database.js";

await startMain(async () => {
  // First: the statements and calls made from here on are traced when OTEL_* asks for it.
  const stopTracing = await startTracing("chillybin");
  const config = readChillybinConfig(process.env);
  const logger = createLogger({ service: "chillybin", version: config.version, level: config.logLevel, format: config.logFormat });
  const location = databaseLocation(config.databaseUrl, config.dataDir, { size: config.databasePoolSize, acquireTimeoutMs: config.databaseTimeoutMs });
  logger.info(`database: ${describeLocation(location)}`);
  const db = openDatabase<ChillybinDatabase>(location);
  const prepared = config.migrateOnStart
    ? migrateToLatest(db, CHILLYBIN_MIGRATIONS, { lockTimeoutMs: config.migrationLockTimeoutMs, onRetry: (message) => logger.warn(message) })
    : assertNothingToMigrate(db, CHILLYBIN_MIGRATIONS);
  // Which database, and which setting points at it: the first thing to check when this fails.
  const where = `${describeLocation(location)} (${config.databaseUrl ? "DATABASE_URL" : "CHILLYBIN_DATA_DIR"})`;
  await prepared.catch((error: unknown) => {
    throw databaseStartupError(error, where);
  });

  if (!config.adminToken) logger.warn("CHILLYBIN_ADMIN_TOKEN is not set: anyone can restock");
  const server = await startChillybinServer({ db, ...config, logger });
  // Gives back what a burst of calls grew the heap by, once the service has been left alone (memory-at-rest.ts).
  const memoryAtRest = keepMemoryAtRest({
    quietForMs: config.memoryAtRestAfterMs,
    log: (message) => logger.debug(message),
    registry: server.metrics.registry,
  });
  onShutdownSignal(
    async () => {
      memoryAtRest.stop();
      await server.close();
      await db.destroy();
      await stopTracing(); // exports the spans still buffered
    },
    (message) => logger.info(message),
  );
});
