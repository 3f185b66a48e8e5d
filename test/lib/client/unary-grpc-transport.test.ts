// jafflr's transport to chillybin (lib/client/unary-grpc-transport.ts) must
// tell callers what Connect's own gRPC transport tells them: each call below
// is made with both, each against its own chillybin (identical databases) or
// the same misbehaving server, and the outcomes (code, message, details, or
// the answer) must match.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { createUnaryGrpcTransport } from "../../../lib/client/unary-grpc-transport.js";
import { neverSent } from "../../../lib/client/resilient-calls.js";
import { createChillybinTransport } from "../../../services/jafflr/chillybin-client.js";
import { freePort } from "../../../scripts/support/ports.js";
import { startChillybin, type TestChillybin } from "../../support/services.js";

/** The limits a caller may give either transport. */
type Limits = { readMaxBytes?: number; writeMaxBytes?: number };
type Make = (baseUrl: string, limits?: Limits) => Transport;
const TRANSPORTS: Array<[string, Make]> = [
  [
    "direct",
    (baseUrl, limits) =>
      createUnaryGrpcTransport({
        baseUrl,
        sessionManager: new Http2SessionManager(baseUrl),
        interceptors: [],
        streaming: createGrpcTransport({ baseUrl }),
        ...limits,
      }),
  ],
  ["Connect's", (baseUrl, limits) => createGrpcTransport({ baseUrl, ...limits })],
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
async function misbehaving(
  behave: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    behave(stream, headers);
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
  // Bare, and with jafflr's own interceptors (request id, client spans, retries and circuit breaker) around each.
  const chains: Array<[string, Make[]]> = [
    ["bare transports", TRANSPORTS.map(([, make]) => make)],
    [
      "jafflr's interceptor chain (createChillybinTransport)",
      [true, false].map((directCalls) => (baseUrl: string) => createChillybinTransport({ baseUrl, directCalls })),
    ],
  ];
  for (const [chain, makes] of chains) {
    describe(chain, () => {
      for (const c of calls) {
        it(c.case, async () => {
          const outcomes = [];
          for (const [i, make] of makes.entries()) outcomes.push(await outcome(() => c.call(make(chillybins[i]!.server.url))));
          assert.deepEqual(outcomes[0], outcomes[1]);
          if (c.expect)
            assert.ok(
              c.expect === "answer" ? "answer" in (outcomes[0] as object) : (outcomes[0] as { code: string }).code === c.expect,
              JSON.stringify(outcomes[0], (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
            );
        });
      }
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

  const pickAnswer = encodeEnvelope(0, toBinary(v1.PickResponseSchema, create(v1.PickResponseSchema, { name: "cheese" })));
  const gzippedAnswer = encodeEnvelope(1, gzipSync(toBinary(v1.PickResponseSchema, create(v1.PickResponseSchema, { name: "cheese" }))));
  /** Answers with `body` and grpc-status 0 in trailers, and the headers given. */
  const answering = (headers: Record<string, string>, body: Uint8Array) => (s: http2.ServerHttp2Stream) => {
    s.respond({ ":status": 200, "content-type": "application/grpc", ...headers }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(body);
  };
  const answers: Array<{ case: string; behave: (stream: http2.ServerHttp2Stream) => void; limits?: Limits; expect: string }> = [
    {
      case: "an answer compressed with gzip (grpc-encoding), as a server may send it",
      behave: answering({ "grpc-encoding": "gzip" }, gzippedAnswer),
      expect: "answer",
    },
    { case: "an answer in an encoding nobody asked for", behave: answering({ "grpc-encoding": "zstd" }, gzippedAnswer), expect: "Internal" },
    { case: "a compressed message without grpc-encoding", behave: answering({}, gzippedAnswer), expect: "Internal" },
    { case: "an answer larger than readMaxBytes", behave: answering({}, pickAnswer), limits: { readMaxBytes: 4 }, expect: "ResourceExhausted" },
    { case: "a request larger than writeMaxBytes: never sent", behave: answering({}, pickAnswer), limits: { writeMaxBytes: 4 }, expect: "ResourceExhausted" },
  ];
  for (const a of answers) {
    it(a.case, async () => {
      let streams = 0;
      const server = await misbehaving((s) => {
        streams++;
        a.behave(s);
      });
      try {
        const outcomes = [];
        for (const [, make] of TRANSPORTS)
          outcomes.push(await outcome(() => createClient(v1.ChillybinService, make(server.url, a.limits)).pick({ name: "cheese", quantity: 1 })));
        assert.deepEqual(outcomes[0], outcomes[1]);
        const first = outcomes[0] as { code?: string; message?: string };
        assert.equal(first.code ?? "answer", a.expect, first.message);
        if (a.limits?.writeMaxBytes) assert.equal(streams, 0, "nothing sent");
      } finally {
        await server.close();
      }
    });
  }

  it("advertises what answers it can read (grpc-accept-encoding), as Connect's transport does", async () => {
    const accepted: unknown[] = [];
    const server = await misbehaving((s, headers) => {
      accepted.push(headers["grpc-accept-encoding"]);
      answering({}, pickAnswer)(s);
    });
    try {
      for (const [, make] of TRANSPORTS) await createClient(v1.ChillybinService, make(server.url)).pick({ name: "cheese", quantity: 1 });
      assert.deepEqual(accepted, ["gzip,br", "gzip,br"]);
    } finally {
      await server.close();
    }
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
