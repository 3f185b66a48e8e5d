// jafflr: wiring only. Reads the environment, connects to chillybin, serves,
// and shuts down cleanly on SIGTERM/SIGINT (a cooking toastie is finished).
import { createLogger } from "../../lib/logger.js";
import { onShutdownSignal, serve } from "../../lib/server/index.js";
import { startMain } from "../../lib/start-main.js";
import { createChillybinClient, createChillybinTransport } from "./chillybin-client.js";
import { readJafflrConfig } from "./config.js";
import { Kitchen } from "./kitchen.js";
import { jafflrRoutes } from "./service.js";

await startMain(async () => {
  const config = readJafflrConfig(process.env);
  const logger = createLogger({ service: "jafflr", version: config.version });
  logger.info(`chillybin: ${config.chillybinUrl}`);
  const chillybin = createChillybinClient(createChillybinTransport({ baseUrl: config.chillybinUrl }));

  const server = await serve({
    routes: jafflrRoutes({
      chillybin,
      kitchen: new Kitchen(config.toastTimeScale),
      chillybinTimeoutMs: config.chillybinTimeoutMs,
    }),
    port: config.port,
    host: config.host,
    version: config.version,
    logger,
    drainTimeoutMs: config.drainTimeoutMs,
  });
  onShutdownSignal(() => server.close(), (message) => logger.info(message));
});
