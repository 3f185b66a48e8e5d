import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../logger.js";
import type { H1H2cServer } from "./h1-h2c-server.js";
import type { Health } from "../observability/index.js";

/**
 * Graceful shutdown: report not serving, stop accepting, let requests in
 * flight finish (up to `drainTimeoutMs`, then abort them through `shutdown`
 * with UNAVAILABLE), close every connection.
 */
export async function gracefulClose(parts: {
  server: H1H2cServer;
  health: Health;
  shutdown: AbortController;
  drainTimeoutMs: number;
  logger: Logger;
}): Promise<void> {
  const { server, health, shutdown, drainTimeoutMs, logger } = parts;
  health.markShuttingDown();
  server.stopAccepting();
  server.drainConnections();
  const drained = await waitUntil(() => server.requestsInFlight === 0, drainTimeoutMs);
  if (!drained) {
    logger.warn({ requestsInFlight: server.requestsInFlight }, "drain timeout: aborting requests in flight");
    shutdown.abort(new ConnectError("the server is shutting down", Code.Unavailable));
    await waitUntil(() => server.requestsInFlight === 0, 1_000);
  }
  server.destroyConnections();
  logger.info("stopped");
}

/** Polls `done` until it holds (true) or the time is up (false). */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
