import assert from "node:assert/strict";
import { ConnectError, createClient } from "@connectrpc/connect";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";
import { VERSION_HEADER } from "../../lib/server/index.js";
import { request } from "../support/http.js";
import { startChillybin, TEST_VERSION, type TestChillybin } from "../support/services.js";
import { TRANSPORTS } from "../support/transports.js";

describe(`every response names the service's version (${VERSION_HEADER})`, () => {
  let chillybin: TestChillybin;
  before(async () => (chillybin = await startChillybin()));
  after(() => chillybin?.stop());

  for (const transport of TRANSPORTS) {
    it(`${transport.name}, success and error`, async () => {
      const client = createClient(ChillybinService, transport.make(chillybin.server.url));
      const seen: Array<string | null> = [];
      await client.getStock({}, { onHeader: (h) => seen.push(h.get(VERSION_HEADER)) });
      // A failed call's headers arrive with its error.
      const error = await client.pick({ name: "ham", quantity: 1 }).catch((e: unknown) => ConnectError.from(e));
      assert.ok(error instanceof ConnectError);
      seen.push(error.metadata.get(VERSION_HEADER));
      assert.deepEqual(seen, [TEST_VERSION, TEST_VERSION]);
    });
  }

  const plain: Array<[string, string]> = [
    ["GET", "/"],
    ["GET", "/pick?name=ham&quantity=1"],
    ["GET", "/health"],
    ["GET", "/no-such-path"],
    ["DELETE", "/restock"],
  ];
  for (const [method, path] of plain) {
    it(`REST ${method} ${path}`, async () => {
      const res = await request(chillybin.server.url, method, path);
      assert.equal(res.headers[VERSION_HEADER], TEST_VERSION);
    });
  }
});
