import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { GuardedSessionManager } from "../../../lib/client/guarded-session-manager.js";

describe("GuardedSessionManager", () => {
  let server: http2.Http2Server;
  let url: string;
  before(async () => {
    server = http2.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  /** Makes one request, then emits an error on its session as Node does after the manager stopped listening. */
  async function lateSessionError(manager: Http2SessionManager): Promise<boolean> {
    const stream = await manager.request("GET", "/", {}, {});
    const session = stream.session!;
    stream.resume();
    await new Promise((r) => stream.once("close", r));
    // What the manager's cleanup does when it leaves a session's state: its own listener goes.
    const managers = session.listeners("error").slice(0, 1) as Array<(e: Error) => void>;
    for (const l of managers) session.off("error", l);
    try {
      session.emit("error", new Error("received GOAWAY without any open streams"));
      return true;
    } catch {
      return false; // EventEmitter throws an error nobody listens for: in Node, an uncaught exception
    } finally {
      session.destroy();
    }
  }

  it("a late error on a session it no longer listens to does not escape", async () => {
    assert.equal(await lateSessionError(new GuardedSessionManager(url)), true);
  });

  it("(Connect-Node's own manager lets it escape: why the guard exists)", async () => {
    assert.equal(await lateSessionError(new Http2SessionManager(url)), false);
  });
});
