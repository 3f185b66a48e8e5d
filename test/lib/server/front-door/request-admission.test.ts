// Requests in flight and request bytes held are bounded per client, per
// connection and in total: a client over a limit gets RESOURCE_EXHAUSTED
// (HTTP 429, grpc-status 8) at once, in its own protocol, and nobody else does.
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import { DEFAULT_LIMITS, type ServerLimits } from "../../../../lib/server/index.js";
import { Kitchen } from "../../../../services/jafflr/kitchen.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../../support/services.js";

/** A kitchen whose toasties cook until the test lets them go (or their caller leaves): requests that stay in flight. */
class HeldKitchen extends Kitchen {
  private readonly releases = new Set<() => void>();
  constructor() {
    super(
      1,
      (_ms, signal) =>
        new Promise<void>((resolve) => {
          this.releases.add(resolve);
          signal?.addEventListener("abort", () => resolve());
        }),
    );
  }
  releaseAll(): void {
    for (const release of this.releases) release();
    this.releases.clear();
  }
}

interface Answer {
  status: number;
  grpcStatus?: string;
  body: string;
}

/** A Connect JSON or REST request over HTTP/1.1 from a given client address. */
function h1(url: string, from: string, method: string, path: string, body?: string): { answer: Promise<Answer>; abort: () => void } {
  const { hostname, port } = new URL(url);
  const req = http.request({ hostname, port, path, method, localAddress: from, agent: false, headers: body ? { "content-type": "application/json" } : {} });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on("error", reject);
  });
  req.end(body);
  return { answer, abort: () => req.destroy() };
}

/** A gRPC call's status over h2c from a given client address (an empty GetStatus request). */
function grpcStatus(url: string, from: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { localAddress: from } as http2.SecureClientSessionOptions);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let grpc: string | undefined;
    stream.on("response", (h) => (grpc ??= h["grpc-status"] as string | undefined));
    stream.on("trailers", (h) => (grpc ??= h["grpc-status"] as string | undefined));
    stream.on("data", () => {});
    stream.on("close", () => {
      session.close();
      resolve({ status: 200, grpcStatus: grpc, body: "" });
    });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

describe("request admission: requests in flight and bytes held are bounded", function () {
  this.timeout(30_000);

  describe("requests in flight", () => {
    let chillybin: TestChillybin;
    let jafflr: TestJafflr;
    const kitchen = new HeldKitchen();
    const limits: ServerLimits = { ...DEFAULT_LIMITS, maxRequestsPerClient: 3, maxRequestsInFlight: 4 };
    const held: Array<{ answer: Promise<Answer>; abort: () => void }> = [];
    before(async () => {
      chillybin = await startChillybin();
      await chillybin.setStock({ bread: 100, cheese: 100 });
      jafflr = await startJafflr({ chillybinUrl: chillybin.server.url, kitchen, limits });
      // Three toasties from one client and one from another stay in flight: 4, the total.
      for (const from of ["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.2"]) held.push(h1(jafflr.server.url, from, "GET", "/toastie?i=cheese"));
      while (kitchen.cooking < 4) await new Promise((r) => setTimeout(r, 10));
    });
    after(async () => {
      kitchen.releaseAll();
      await Promise.all(held.map((h) => h.answer.catch(() => undefined)));
      await jafflr?.stop();
      await chillybin?.stop();
    });

    const refused: Array<{ case: string; from: string; call: (url: string) => Promise<Answer>; expect: (a: Answer) => void; message: RegExp }> = [
      {
        case: "a client at its limit, REST",
        from: "127.0.0.1",
        call: (url) => h1(url, "127.0.0.1", "GET", "/").answer,
        expect: (a) => assert.equal(a.status, 429, a.body),
        message: /too many requests in flight from this client \(at most 3\)/,
      },
      {
        case: "a client at its limit, Connect",
        from: "127.0.0.1",
        call: (url) => h1(url, "127.0.0.1", "POST", "/jafflr.v1.JafflrService/GetStatus", "{}").answer,
        expect: (a) => assert.equal(a.status, 429, a.body),
        message: /too many requests in flight from this client/,
      },
      {
        case: "a client at its limit, gRPC (HTTP 200, grpc-status 8)",
        from: "127.0.0.1",
        call: (url) => grpcStatus(url, "127.0.0.1", "/jafflr.v1.JafflrService/GetStatus"),
        expect: (a) => assert.equal(a.grpcStatus, "8"),
        message: /.*/,
      },
      {
        case: "another client, once the server's total is reached",
        from: "127.0.0.2",
        call: (url) => h1(url, "127.0.0.2", "GET", "/").answer,
        expect: (a) => assert.equal(a.status, 429, a.body),
        message: /the server is busy with 4 requests/,
      },
    ];
    for (const r of refused) {
      it(`refuses ${r.case}: RESOURCE_EXHAUSTED at once`, async () => {
        const answer = await r.call(jafflr.server.url);
        r.expect(answer);
        if (answer.body) {
          assert.equal((JSON.parse(answer.body) as { code: string }).code, "resource_exhausted");
          assert.match(answer.body, r.message);
        }
      });
    }

    it("serves again as soon as requests finish", async () => {
      kitchen.releaseAll();
      await Promise.all(held.map((h) => h.answer));
      assert.equal((await h1(jafflr.server.url, "127.0.0.1", "GET", "/").answer).status, 200);
    });
  });

  describe("request bytes held", () => {
    let chillybin: TestChillybin;
    before(
      async () =>
        (chillybin = await startChillybin({
          limits: { ...DEFAULT_LIMITS, maxBufferedBytesPerConnection: 1_500, maxBufferedBytes: 2_500 },
          maxBodyBytes: 1_000,
        })),
    );
    after(() => chillybin?.stop());

    /** A v2 Pick as Connect JSON, padded with spaces to 900 bytes. */
    const PICK = Buffer.from(JSON.stringify({ ingredient: "cheese", quantity: 1, customer: "kim" }).padEnd(900, " "));
    const post = (session: http2.ClientHttp2Session, end: boolean) => {
      const stream = session.request({ ":method": "POST", ":path": "/chillybin.v2.ChillybinService/Pick", "content-type": "application/json" });
      const answer = new Promise<Answer>((resolve) => {
        let status = 0;
        let body = "";
        stream.on("response", (h) => (status = Number(h[":status"])));
        stream.on("data", (d: Buffer) => (body += d.toString()));
        stream.on("close", () => resolve({ status, body }));
        stream.on("error", () => {});
      });
      if (end) stream.end(PICK);
      else stream.write(PICK); // and stalls, holding its 900 bytes
      return { stream, answer };
    };
    const budgets: Array<{ case: string; sessions: 1 | 2; message: RegExp }> = [
      { case: "per connection (two streams of one HTTP/2 connection)", sessions: 1, message: /this connection's requests hold 900 bytes/ },
      { case: "in total (three connections)", sessions: 2, message: /the server holds too many request bytes/ },
    ];
    for (const b of budgets) {
      it(`${b.case}: a body past the budget is RESOURCE_EXHAUSTED; served again once the bytes are released`, async () => {
        await chillybin.setStock({ cheese: 100 });
        const sessions = Array.from({ length: 3 }, () => http2.connect(chillybin.server.url));
        try {
          const stalled = [post(sessions[0]!, false)];
          if (b.sessions === 2) stalled.push(post(sessions[1]!, false)); // 1,800 held in all
          await new Promise((r) => setTimeout(r, 200));
          const over = await post(sessions[b.sessions === 1 ? 0 : 2]!, true).answer;
          assert.equal(over.status, 429, over.body);
          assert.match(over.body, b.message);
          for (const s of stalled) s.stream.close();
          await Promise.all(stalled.map((s) => s.answer));
          const after = await post(sessions[0]!, true).answer;
          assert.equal(after.status, 200, after.body);
        } finally {
          for (const s of sessions) s.destroy();
        }
      });
    }
  });
});
