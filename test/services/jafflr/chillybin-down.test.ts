import assert from "node:assert/strict";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { JafflrService } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { createChillybinTransport } from "../../../services/jafflr/chillybin-client.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { request } from "../../support/http.js";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { TRANSPORTS } from "../../support/transports.js";

describe("jafflr → chillybin: down, back, and connections", () => {
  let chillybin: TestChillybin;
  let proxy: TcpProxy;
  let jafflr: TestJafflr;
  let client: Client<typeof JafflrService>;

  before(async () => {
    chillybin = await startChillybin();
    proxy = new TcpProxy({ host: "127.0.0.1", port: chillybin.server.port });
    const url = `http://127.0.0.1:${await proxy.start()}`;
    jafflr = await startJafflr({
      chillybinUrl: url,
      chillybinTransport: createChillybinTransport({ baseUrl: url, resilience: { retries: 1, breakAfter: 3, halfOpenAfterMs: 300 } }),
    });
    client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
  });
  after(async () => {
    await jafflr?.stop();
    await proxy?.stop();
    await chillybin?.stop();
  });

  it("reuses one connection for many toasties", async () => {
    await chillybin.setStock({ bread: 100, cheese: 100 });
    const before = proxy.accepted;
    await Promise.all(Array.from({ length: 5 }, () => client.makeToastie({ ingredients: ["cheese"] })));
    for (let i = 0; i < 5; i++) await client.makeToastie({ ingredients: ["cheese"] });
    assert.ok(proxy.accepted - before <= 1, `opened ${proxy.accepted - before} connections`);
    await chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
  });

  it("answers UNAVAILABLE while chillybin is down, fails fast once the circuit opens, and recovers by itself", async () => {
    proxy.cut();
    const failures: ConnectError[] = [];
    for (let i = 0; i < 4; i++)
      failures.push(
        await client.makeToastie({ ingredients: ["cheese"] }).then(
          () => assert.fail("made"),
          (e: unknown) => ConnectError.from(e),
        ),
      );
    for (const f of failures) assert.equal(f.code, Code.Unavailable, f.rawMessage);
    assert.match(failures[0]!.rawMessage, /chillybin is unavailable \(picking the toastie's ingredients\)/);
    assert.match(failures[3]!.rawMessage, /the circuit is open/);
    assert.match((await request(jafflr.server.url, "GET", "/metrics")).text, /^jafflr_chillybin_circuit_state 1$/m, "the metric says open");

    await proxy.restore();
    let made = false;
    for (let i = 0; i < 50 && !made; i++) {
      made = await client.makeToastie({ ingredients: ["cheese"] }).then(
        () => true,
        () => false,
      );
      if (!made) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(made, "jafflr did not recover");
  });
});

describe("jafflr's /health probing chillybin never opens the circuit toasties go through", () => {
  it("probed while chillybin is unreachable, then the first toastie once it is back is made", async () => {
    const chillybin = await startChillybin();
    const proxy = new TcpProxy({ host: "127.0.0.1", port: chillybin.server.port });
    const url = `http://127.0.0.1:${await proxy.start()}`;
    // A circuit that would stay open for a minute once two calls in a row failed.
    const jafflr = await startJafflr({
      chillybinUrl: url,
      chillybinTransport: createChillybinTransport({ baseUrl: url, resilience: { retries: 0, breakAfter: 2, halfOpenAfterMs: 60_000 } }),
    });
    try {
      proxy.cut();
      for (let i = 0; i < 5; i++) {
        const res = await request(jafflr.server.url, "GET", "/health");
        assert.equal(res.status, 200, "jafflr itself serves");
        assert.equal((res.json as { dependencies: { chillybin: { status: string } } }).dependencies.chillybin.status, "NOT_SERVING");
      }
      await proxy.restore();
      const made = await createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url)).makeToastie({ ingredients: ["cheese"] });
      assert.deepEqual(made.toastie?.ingredients, ["bread", "bread", "cheese"]);
    } finally {
      await jafflr.stop();
      await proxy.stop();
      await chillybin.stop();
    }
  });
});
