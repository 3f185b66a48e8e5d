// jafflr: wiring only. Reads the environment, connects to chillybin, serves,
// and shuts down cleanly on SIGTERM/SIGINT (a cooking toastie is finished).
import { createLogger } from "../../lib/logger.js";
import { keepMemoryAtRest } from "../../lib/memory-at-rest.js";
import { onShutdownSignal } from "../../lib/server/index.js";
import { startMain } from "../../lib/start-main.js";
import { startTracing } from "../../lib/telemetry.js";
import { createChillybinTransport } from "./chillybin-client.js";
import { readJafflrConfig } from "./config.js";
import { startJafflrServer } from "./jafflr-server.js";
import { Kitchen } from "./kitchen.js";

await startMain(async () => {
  // First: the statements and calls made from here on are traced when OTEL_* asks for it.
  const stopTracing = await startTracing("jafflr");
  const config = readJafflrConfig(process.env);
  const logger = createLogger({ service: "jafflr", version: config.version, level: config.logLevel, format: config.logFormat });
  const unaryCalls = config.directPaths.client ? "direct unary calls" : "Connect's gRPC transport only (DIRECT_PATHS)";
  logger.info(`chillybin: ${config.chillybinUrl}, over gRPC, ${unaryCalls}`);
  const server = await startJafflrServer({
    ...config,
    chillybinTransport: createChillybinTransport({
      baseUrl: config.chillybinUrl,
      resilience: config.chillybinResilience,
      directCalls: config.directPaths.client,
    }),
    kitchen: new Kitchen(config.toastTimeScale),
    logger,
  });
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
      await stopTracing(); // exports the spans still buffered
    },
    (message) => logger.info(message),
  );
});
