// jafflr's transport to chillybin (lib/client/unary-grpc-transport.ts) must
// tell callers what Connect's own gRPC transport tells them: each call below
// is made with both, each against its own chillybin (identical databases) or
// the same misbehaving server, and the outcomes (code, message, details, or
// the answer) must match.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { createUnaryGrpcTransport } from "../../../lib/client/unary-grpc-transport.js";
import { neverSent } from "../../../lib/client/resilient-calls.js";
import { freePort } from "../../../scripts/support/ports.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";

type Make = (baseUrl: string) => Transport;
const TRANSPORTS: Array<[string, Make]> = [
  [
    "direct",
    (baseUrl) =>
      createUnaryGrpcTransport({ baseUrl, sessionManager: new Http2SessionManager(baseUrl), interceptors: [], streaming: createGrpcTransport({ baseUrl }) }),
  ],
  ["Connect's", (baseUrl) => createGrpcTransport({ baseUrl })],
];

/** What a call came to, comparable across transports. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { answer: await call() };
  } catch (e) {
    const error = ConnectError.from(e);
    return {
      code: Code[error.code],
      message: error.rawMessage,
      details: error.findDetails(v2.StockRefusalSchema).map((d) => ({ ...d })),
      neverSent: neverSent(e),
    };
  }
}

/** An HTTP/2 server that answers every stream with `behave`. */
async function misbehaving(behave: (stream: http2.ServerHttp2Stream) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    behave(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    // The clients' session managers keep their connections: end them, or close() waits for them.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  };
}

describe("lib/client: the direct unary gRPC transport says what Connect's gRPC transport says", function () {
  this.timeout(30_000);
  const chillybins: TestChillybin[] = [];
  before(async () => {
    for (let i = 0; i < TRANSPORTS.length; i++) {
      const chillybin = await startChillybin();
      await chillybin.setStock({ bread: 10, cheese: 10, vegemite: 0 });
      chillybins.push(chillybin);
    }
  });
  after(async () => {
    for (const c of chillybins) await c.stop();
  });

  const calls: Array<{ case: string; call: (t: Transport) => Promise<unknown>; expect: string }> = [
    { case: "a v1 pick", call: (t) => createClient(v1.ChillybinService, t).pick({ name: "cheese", quantity: 2 }), expect: "answer" },
    {
      case: "an order, with its ids",
      call: (t) => createClient(v2.ChillybinService, t).pickOrder({ customer: "gita", items: [{ ingredient: "bread", quantity: 2 }], reference: "r" }),
      expect: "answer",
    },
    {
      case: "a refusal, with its StockRefusal detail",
      call: (t) => createClient(v2.ChillybinService, t).pickOrder({ customer: "gita", items: [{ ingredient: "vegemite", quantity: 1 }] }),
      expect: "FailedPrecondition",
    },
    { case: "an unknown ingredient", call: (t) => createClient(v1.ChillybinService, t).pick({ name: "ham", quantity: 1 }), expect: "NotFound" },
    {
      case: "a bad request, with a message to be percent-decoded",
      call: (t) => createClient(v1.ChillybinService, t).pick({ name: "", quantity: 1 }),
      expect: "InvalidArgument",
    },
    {
      case: "a call cancelled by its caller",
      call: (t) =>
        createClient(v1.ChillybinService, t).pick(
          { name: "cheese", quantity: 1 },
          { signal: AbortSignal.abort(new ConnectError("the caller went away", Code.Canceled)) },
        ),
      expect: "Canceled",
    },
  ];
  for (const c of calls) {
    it(c.case, async () => {
      const outcomes = [];
      for (const [i, [, make]] of TRANSPORTS.entries()) outcomes.push(await outcome(() => c.call(make(chillybins[i]!.server.url))));
      assert.deepEqual(outcomes[0], outcomes[1]);
      if (c.expect)
        assert.ok(
          c.expect === "answer" ? "answer" in (outcomes[0] as object) : (outcomes[0] as { code: string }).code === c.expect,
          JSON.stringify(outcomes[0], (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
        );
    });
  }

  it("nothing listening: UNAVAILABLE, and known never sent (safe to retry)", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const outcomes = [];
    for (const [, make] of TRANSPORTS)
      outcomes.push(
        (await outcome(() => createClient(v1.ChillybinService, make(url)).pick({ name: "cheese", quantity: 1 }))) as { code: string; neverSent: boolean },
      );
    assert.deepEqual(
      outcomes.map((o) => [o.code, o.neverSent]),
      [
        ["Unavailable", true],
        ["Unavailable", true],
      ],
    );
  });

  const resets: Array<{ case: string; behave: (stream: http2.ServerHttp2Stream) => void; code: string; timeoutMs?: number; neverSent?: boolean }> = [
    { case: "a server that never answers, and a deadline of 100 ms", behave: () => {}, code: "DeadlineExceeded", timeoutMs: 100 },
    // Node reports the reset as a stream error first: INTERNAL, as Connect-Node says; resilient-calls.ts knows it was never processed.
    {
      case: "a stream refused unprocessed (REFUSED_STREAM): known never sent",
      behave: (s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM),
      code: "Internal",
      neverSent: true,
    },
    { case: "a stream reset with INTERNAL_ERROR", behave: (s) => s.close(http2.constants.NGHTTP2_INTERNAL_ERROR), code: "Internal" },
    { case: "an answer that is not gRPC (HTTP 404)", behave: (s) => s.respond({ ":status": 404 }, { endStream: true }), code: "Unimplemented" },
    {
      case: "a gRPC answer with no status",
      behave: (s) => s.respond({ ":status": 200, "content-type": "application/grpc" }, { endStream: true }),
      code: "Internal",
    },
  ];
  for (const r of resets) {
    it(r.case, async () => {
      const server = await misbehaving(r.behave);
      try {
        const outcomes = [];
        for (const [, make] of TRANSPORTS)
          outcomes.push(
            (await outcome(() => createClient(v1.ChillybinService, make(server.url)).pick({ name: "cheese", quantity: 1 }, { timeoutMs: r.timeoutMs }))) as {
              code: string;
              message: string;
              neverSent: boolean;
            },
          );
        assert.deepEqual(outcomes[0], outcomes[1]);
        assert.equal(outcomes[0]!.code, r.code, outcomes[0]!.message);
        assert.equal(outcomes[0]!.neverSent, r.neverSent ?? false);
      } finally {
        await server.close();
      }
    });
  }
});
