// A database that refuses connections is UNAVAILABLE (503) on every RPC and
// REST path, one mapping for all (not INTERNAL where a method forgot it):
// clients and jafflr's breaker may retry UNAVAILABLE, never a 500.
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { openDatabase } from "../../../lib/db/index.js";
import { silentLogger } from "../../../lib/logger.js";
import type { RunningServer } from "../../../lib/server/index.js";
import { startChillybinServer } from "../../../services/chillybin/chillybin-server.js";
import type { ChillybinDatabase } from "../../../services/chillybin/database.js";
import { request } from "../../support/http.js";
import { freePort } from "../../../scripts/support/ports.js";
import { TRANSPORTS } from "../../support/transports.js";

describe("chillybin with its database unreachable", () => {
  let db: Kysely<ChillybinDatabase>;
  let server: RunningServer;

  before(async () => {
    // A PostgreSQL address nothing listens on: every connection is refused.
    db = openDatabase({ kind: "postgres", url: `postgres://postgres@127.0.0.1:${await freePort()}/chillybin` });
    server = await startChillybinServer({ db, port: 0, version: "unreachable", logger: silentLogger() });
  });
  after(async () => {
    await server?.close();
    await db?.destroy();
  });

  const rpcs: Array<{
    name: string;
    call: (c: {
      v1: ReturnType<typeof createClient<typeof v1.ChillybinService>>;
      v2: ReturnType<typeof createClient<typeof v2.ChillybinService>>;
    }) => Promise<unknown>;
  }> = [
    { name: "v1 Pick", call: (c) => c.v1.pick({ name: "cheese", quantity: 1 }) },
    { name: "v1 GetStock", call: (c) => c.v1.getStock({}) },
    { name: "v1 Restock", call: (c) => c.v1.restock({}) },
    { name: "v2 Pick", call: (c) => c.v2.pick({ ingredient: "cheese", quantity: 1, customer: "kim" }) },
    { name: "v2 PickOrder", call: (c) => c.v2.pickOrder({ customer: "kim", items: [{ ingredient: "cheese", quantity: 1 }] }) },
  ];
  for (const transport of [TRANSPORTS[0]!, TRANSPORTS[2]!]) {
    for (const rpc of rpcs) {
      it(`${rpc.name} (${transport.name}) → UNAVAILABLE`, async () => {
        const t = transport.make(server.url);
        const error = await rpc.call({ v1: createClient(v1.ChillybinService, t), v2: createClient(v2.ChillybinService, t) }).then(
          () => assert.fail("answered"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, Code.Unavailable, error.rawMessage);
        assert.match(error.rawMessage, /the database is unreachable/);
      });
    }
  }

  const paths: Array<[string, string, string?]> = [
    ["GET", "/"],
    ["GET", "/pick?name=cheese&quantity=1"],
    ["POST", "/pick?name=cheese&quantity=1"],
    ["GET", "/restock"],
    ["POST", "/restock"],
    ["POST", "/v2/pick", JSON.stringify({ ingredient: "cheese", quantity: 1, customer: "kim" })],
    ["POST", "/v2/orders", JSON.stringify({ customer: "kim", items: [{ ingredient: "cheese", quantity: 1 }] })],
  ];
  for (const [method, path, body] of paths) {
    it(`REST ${method} ${path} → 503 unavailable`, async () => {
      const res = await request(server.url, method, path, body ? { body, headers: { "content-type": "application/json" } } : {});
      assert.equal(res.status, 503, res.text);
      assert.equal((res.json as { code: string }).code, "unavailable");
    });
  }

  it("GET /health → 503 NOT_SERVING", async () => {
    assert.equal((await request(server.url, "GET", "/health")).status, 503);
  });
});
