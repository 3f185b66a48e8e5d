// The bench reads memory at rest once each service has given memory back, not
// at a fixed time that raced the collection: it waits for each one's
// memory_at_rest_collections_total to pass what it was as that service's last
// load ended, and says which did not.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { waitForMemoryAtRest } from "../../../scripts/bench/memory-at-rest-wait.js";

/** A /metrics whose counter reads `count()` at each scrape. */
async function metricsServer(count: () => number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end(`# TYPE memory_at_rest_collections_total counter\nmemory_at_rest_collections_total ${count()}\n`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("the bench's wait for memory at rest (scripts/bench/memory-at-rest-wait.ts)", () => {
  const cases: Array<{ name: string; collectsAfterMs: Record<string, number | undefined>; collected: Record<string, boolean> }> = [
    { name: "waits past the quiet spell until each service has collected once more", collectsAfterMs: { a: 150, b: 300 }, collected: { a: true, b: true } },
    { name: "gives up on one that never collects, and says which", collectsAfterMs: { a: 100, b: undefined }, collected: { a: true, b: false } },
  ];
  for (const { name, collectsAfterMs, collected } of cases)
    it(name, async () => {
      const started = Date.now();
      const servers = await Promise.all(
        Object.entries(collectsAfterMs).map(
          async ([service, ms]) => [service, await metricsServer(() => (ms !== undefined && Date.now() - started >= ms ? 3 : 2))] as const,
        ),
      );
      try {
        const took = await waitForMemoryAtRest(Object.fromEntries(servers.map(([service, s]) => [service, { url: s.url, before: 2 }])), {
          quietForMs: 50,
          pollMs: 20,
          giveUpMs: 1_000,
        });
        assert.deepEqual(Object.fromEntries(Object.entries(took).map(([service, s]) => [service, s !== undefined])), collected);
        for (const [service, s] of Object.entries(took)) if (s !== undefined) assert.ok(s * 1000 >= collectsAfterMs[service]! - 5, `${service} after ${s} s`);
      } finally {
        await Promise.all(servers.map(([, s]) => s.close()));
      }
    });
});
