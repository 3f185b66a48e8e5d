import { setMaxListeners } from "node:events";
import { Code, ConnectError, createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "../logger.js";
import { H1H2cServer, type RequestHandler } from "./h1-h2c-server.js";
import { logRequests, recordOf, recordOutcome, requestRecordKey } from "./request-log.js";

/** The response header that names the version of the service that answered. */
export const VERSION_HEADER = "x-service-version";

export interface ServeOptions {
  /** Registers the service implementations. */
  routes: (router: ConnectRouter) => void;
  port: number;
  host?: string;
  version: string;
  logger: Logger;
  /** How long shutdown waits for requests in flight before failing them. */
  drainTimeoutMs?: number;
}

export interface RunningServer {
  /** The port actually bound (useful when 0 was asked for). */
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /**
   * Graceful shutdown: stop accepting, let requests in flight finish (up to the
   * drain timeout, then abort them with UNAVAILABLE), close every connection.
   */
  close(): Promise<void>;
}

/**
 * Serves Connect, gRPC and gRPC-Web for the given routes on one cleartext
 * port, over HTTP/1.1 and h2c, logging one line per request.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const shutdown = new AbortController();
  // Every request in flight listens on this signal: no listener limit applies.
  setMaxListeners(0, shutdown.signal);

  const connectHandler = connectNodeAdapter({
    routes: options.routes,
    interceptors: [recordOutcome],
    contextValues: (req) => createContextValues().set(requestRecordKey, recordOf(req)),
    shutdownSignal: shutdown.signal,
  });
  const handler: RequestHandler = (req, res) => {
    res.setHeader(VERSION_HEADER, options.version);
    connectHandler(req, res);
  };
  const server = new H1H2cServer(logRequests(options.logger, handler));
  const port = await server.listen(options.port, host);
  options.logger.info({ port, host }, "listening");

  let closing: Promise<void> | undefined;
  const close = async () => {
    server.stopAccepting();
    server.drainConnections();
    const drained = await waitUntil(() => server.requestsInFlight === 0, drainTimeoutMs);
    if (!drained) {
      options.logger.warn({ requestsInFlight: server.requestsInFlight }, "drain timeout: aborting requests in flight");
      shutdown.abort(new ConnectError("the server is shutting down", Code.Unavailable));
      await waitUntil(() => server.requestsInFlight === 0, 1_000);
    }
    server.destroyConnections();
    options.logger.info("stopped");
  };
  return {
    port,
    url: `http://${host}:${port}`,
    close: () => (closing ??= close()),
  };
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
