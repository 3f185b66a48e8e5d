// Two chillybins on identical databases, one serving the direct unary paths
// (lib/server/rpc/direct/unary-grpc.ts, unary-connect.ts) and one only through Connect's
// handlers: the parity tests send each call to both and compare.
import { ALL_DIRECT_PATHS, NO_DIRECT_PATHS } from "../../lib/direct-paths.js";
import { serve, type ServeOptions } from "../../lib/server/index.js";
import { silentLogger } from "../../lib/logger.js";
import { composeChillybin } from "../../services/chillybin/chillybin-server.js";
import { chillybinErrorCodes, chillybinRoutes } from "../../services/chillybin/service.js";
import { startChillybin, type TestChillybin } from "./services.js";

export interface ParityServer {
  chillybin: TestChillybin;
  url: string;
}

/** [direct, Connect only], each with its own stock of bread, cheese and vegemite, 10 each, both served with `options`. */
export async function startParityServers(
  maxBodyBytes: number,
  options: Pick<ServeOptions, "rpc" | "interceptors" | "requestGate"> = {},
): Promise<{ servers: [ParityServer, ParityServer]; stop: () => Promise<void> }> {
  const started: Array<ParityServer & { close: () => Promise<void> }> = [];
  for (const directPaths of [ALL_DIRECT_PATHS, NO_DIRECT_PATHS]) {
    const chillybin = await startChillybin();
    await chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
    const server = await serve({
      routes: chillybinRoutes(composeChillybin(chillybin.db)),
      errorCodes: chillybinErrorCodes,
      port: 0,
      version: "parity",
      logger: silentLogger(),
      maxBodyBytes,
      directPaths,
      ...options,
    });
    started.push({ chillybin, url: server.url, close: () => server.close() });
  }
  return {
    servers: [started[0]!, started[1]!],
    async stop() {
      for (const s of started) {
        await s.close();
        await s.chillybin.stop();
      }
    },
  };
}
