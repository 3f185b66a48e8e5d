// chillybin: wiring only. Reads the environment, opens and migrates the
// database, serves, and shuts down cleanly on SIGTERM/SIGINT.
import { databaseLocation, describeLocation, migrateToLatest, openDatabase } from "../../lib/db/index.js";
import { createLogger } from "../../lib/logger.js";
import { onShutdownSignal, serve } from "../../lib/server/index.js";
import { startMain } from "../../lib/start-main.js";
import { readChillybinConfig } from "./config.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "./database.js";
import { chillybinRoutes } from "./service.js";
import { pingDatabase } from "../../lib/db/index.js";
import { Stock } from "./stock.js";

await startMain(async () => {
  const config = readChillybinConfig(process.env);
  const logger = createLogger({ service: "chillybin", version: config.version });
  const location = databaseLocation(config.databaseUrl, config.dataDir);
  logger.info(`database: ${describeLocation(location)}`);
  const db = openDatabase<ChillybinDatabase>(location);
  await migrateToLatest(db, CHILLYBIN_MIGRATIONS);

  const server = await serve({
    routes: chillybinRoutes(new Stock(db)),
    port: config.port,
    host: config.host,
    version: config.version,
    logger,
    drainTimeoutMs: config.drainTimeoutMs,
    readinessChecks: [() => pingDatabase(db)],
  });
  onShutdownSignal(
    async () => {
      await server.close();
      await db.destroy();
    },
    (message) => logger.info(message),
  );
});
