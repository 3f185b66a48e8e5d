import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ChillybinService } from "../../../gen/chillybin/v1/chillybin_pb.js";
import { request } from "../../support/http.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

const TOKEN = "s3cret-admin-token";
const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

describe("chillybin: Restock needs the admin token when CHILLYBIN_ADMIN_TOKEN is set", () => {
  let chillybin: TestChillybin;
  const stock = () => chillybin.stock();
  before(async () => (chillybin = await startChillybin({ adminToken: TOKEN })));
  after(() => chillybin?.stop());
  beforeEach(() => chillybin.setStock({ cheese: 2 }));

  const headers: Array<{ case: string; authorization?: string; allowed: boolean }> = [
    { case: "no token", allowed: false },
    { case: "a wrong token", authorization: "Bearer nope", allowed: false },
    { case: "a token of another scheme", authorization: `Basic ${TOKEN}`, allowed: false },
    { case: "the token", authorization: `Bearer ${TOKEN}`, allowed: true },
  ];
  for (const transport of TRANSPORTS) {
    for (const h of headers) {
      it(`${transport.name}, ${h.case}: ${h.allowed ? "restocks" : "UNAUTHENTICATED, nothing changes"}`, async () => {
        const client = createClient(ChillybinService, transport.make(chillybin.server.url));
        const outcome = await client.restock({}, { headers: h.authorization ? { authorization: h.authorization } : {} }).then(
          () => "ok",
          (e: unknown) => ConnectError.from(e),
        );
        if (h.allowed) {
          assert.equal(outcome, "ok");
          assert.deepEqual(await stock(), DEFAULT);
        } else {
          assert.ok(outcome instanceof ConnectError);
          assert.equal(outcome.code, Code.Unauthenticated);
          assert.match(outcome.rawMessage, /Restock/);
          assert.equal((await stock()).cheese, 2);
        }
      });
    }
  }

  for (const method of ["GET", "POST"]) {
    it(`REST ${method} /restock: 401 without the token, 200 with it`, async () => {
      const refused = await request(chillybin.server.url, method, "/restock");
      assert.equal(refused.status, 401);
      assert.equal((refused.json as { code: string }).code, "unauthenticated");
      assert.equal((await stock()).cheese, 2);
      const allowed = await request(chillybin.server.url, method, "/restock", { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(allowed.status, 200);
      assert.deepEqual(await stock(), DEFAULT);
    });
  }

  it("other calls need no token", async () => {
    assert.equal((await request(chillybin.server.url, "GET", "/pick?name=cheese&quantity=1")).status, 200);
    assert.equal((await request(chillybin.server.url, "GET", "/")).status, 200);
  });
});
