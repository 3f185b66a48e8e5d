// The direct path for plain unary gRPC calls (lib/server/rpc/direct/unary-grpc.ts) must
// answer exactly as Connect's own gRPC handler does: each call below goes to
// two chillybins on identical databases, one serving gRPC the direct way and
// one through Connect only, and the answers (HTTP status, content type,
// grpc-status, grpc-message, grpc-status-details-bin, the message) must match.
// The cases cover what the direct path answers itself and what it hands back
// to Connect (compression, malformed or oversized bodies, a bad grpc-timeout).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { PickRequestSchema } from "../../../../../gen/chillybin/v1/chillybin_pb.js";
import { request } from "../../../../support/http.js";
import { startParityServers, type ParityServer } from "../../../../support/parity-servers.js";

const PICK = "/chillybin.v1.ChillybinService/Pick";
const MAX_BODY_BYTES = 256;

function envelope(flags: number, message: Uint8Array, declaredLength = message.byteLength): Buffer {
  const out = Buffer.alloc(5 + message.byteLength);
  out[0] = flags;
  out.writeUInt32BE(declaredLength, 1);
  out.set(message, 5);
  return out;
}
const pick = (name: string, quantity: number) => toBinary(PickRequestSchema, create(PickRequestSchema, { name, quantity }));

interface Answer {
  status: number;
  contentType: string | undefined;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  details: string | undefined;
  body: string;
}

/** gRPC-Web's status: the headers in the body's trailer envelope (flag 0x80). */
function webStatus(body: Buffer): Pick<Answer, "grpcStatus" | "grpcMessage" | "details"> {
  for (let at = 0; at + 5 <= body.length; at += 5 + body.readUInt32BE(at + 1)) {
    if (body[at] !== 0x80) continue;
    const fields = new Map(
      body
        .subarray(at + 5, at + 5 + body.readUInt32BE(at + 1))
        .toString()
        .split("\r\n")
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as const),
    );
    return { grpcStatus: fields.get("grpc-status"), grpcMessage: fields.get("grpc-message"), details: fields.get("grpc-status-details-bin") };
  }
  return { grpcStatus: undefined, grpcMessage: undefined, details: undefined };
}

/** One gRPC-Web call over HTTP/1.1. */
async function webCallH1(baseUrl: string, path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(baseUrl, "POST", path, { body, headers: { "content-type": "application/grpc-web+proto", ...headers } });
  return { status: res.status, contentType: res.headers["content-type"], ...webStatus(res.bytes), body: res.bytes.toString("hex") };
}

/** One gRPC call (or, `web`, gRPC-Web) over h2c, with everything the server said. */
function call(baseUrl: string, path: string, body: Uint8Array, headers: Record<string, string> = {}, web = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": web ? "application/grpc-web+proto" : "application/grpc",
      te: "trailers",
      ...headers,
    });
    const answer: Partial<Answer> = {};
    const chunks: Buffer[] = [];
    const readStatus = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] === undefined) return;
      answer.grpcStatus = String(h["grpc-status"]);
      answer.grpcMessage = h["grpc-message"] === undefined ? undefined : String(h["grpc-message"]);
      answer.details = h["grpc-status-details-bin"] === undefined ? undefined : String(h["grpc-status-details-bin"]);
    };
    stream.on("response", (h) => {
      answer.status = Number(h[":status"]);
      answer.contentType = h["content-type"];
      readStatus(h);
    });
    stream.on("trailers", readStatus);
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      const bytes = Buffer.concat(chunks);
      resolve({ ...(answer as Answer), ...(web ? webStatus(bytes) : {}), body: bytes.toString("hex") });
    });
    stream.end(body);
  });
}

describe("lib/server: the direct unary gRPC path answers as Connect's handler does", function () {
  this.timeout(30_000);
  let servers: ParityServer[] = [];
  let stop = async () => {};
  before(async () => {
    ({ servers, stop } = await startParityServers(MAX_BODY_BYTES));
    for (const s of servers) await s.chillybin.setStock({ bread: 100, cheese: 100 }); // enough for every case, three times
  });
  after(() => stop());

  const cases: Array<{ case: string; body: Uint8Array; headers?: Record<string, string>; expect: { grpcStatus: string } }> = [
    { case: "a pick", body: envelope(0, pick("cheese", 1)), expect: { grpcStatus: "0" } },
    { case: "an unknown ingredient (NOT_FOUND with a StockRefusal detail)", body: envelope(0, pick("ham", 1)), expect: { grpcStatus: "5" } },
    { case: "too little in stock (a message with ':' and ',', spec-encoded)", body: envelope(0, pick("vegemite", 99)), expect: { grpcStatus: "9" } },
    { case: "an invalid quantity", body: envelope(0, pick("cheese", 0)), expect: { grpcStatus: "3" } },
    { case: "a NUL in a string", body: envelope(0, pick("che\u0000se", 1)), expect: { grpcStatus: "3" } },
    { case: "an empty message (every field default)", body: envelope(0, new Uint8Array()), expect: { grpcStatus: "3" } },
    {
      case: "content-type application/grpc+proto",
      body: envelope(0, pick("bread", 1)),
      headers: { "content-type": "application/grpc+proto" },
      expect: { grpcStatus: "0" },
    },
    {
      case: "a gzip-compressed message (Connect's path)",
      body: envelope(1, gzipSync(pick("bread", 2))),
      headers: { "grpc-encoding": "gzip" },
      expect: { grpcStatus: "0" },
    },
    // gRPC's spec calls this a protocol error: INTERNAL, as Connect answers.
    { case: "the compressed flag without grpc-encoding", body: envelope(1, pick("bread", 1)), expect: { grpcStatus: "13" } },
    { case: "bytes that are not protobuf", body: envelope(0, Buffer.from([0xff, 0xff, 0xff])), expect: { grpcStatus: "3" } },
    {
      case: "two messages to a unary method",
      body: Buffer.concat([envelope(0, pick("bread", 1)), envelope(0, pick("bread", 1))]),
      expect: { grpcStatus: "12" },
    },
    { case: "an envelope cut short", body: envelope(0, pick("bread", 1), 100), expect: { grpcStatus: "3" } },
    { case: "no envelope at all", body: new Uint8Array(), expect: { grpcStatus: "12" } },
    { case: "a message larger than the server accepts", body: envelope(0, pick("x".repeat(MAX_BODY_BYTES * 2), 1)), expect: { grpcStatus: "8" } },
    { case: "a grpc-timeout that is not one", body: envelope(0, pick("bread", 1)), headers: { "grpc-timeout": "soon" }, expect: { grpcStatus: "3" } },
    { case: "a generous grpc-timeout", body: envelope(0, pick("bread", 1)), headers: { "grpc-timeout": "10S" }, expect: { grpcStatus: "0" } },
    {
      case: "a client that accepts gzip (a small answer stays uncompressed)",
      body: envelope(0, pick("bread", 1)),
      headers: { "grpc-accept-encoding": "identity,deflate,gzip" },
      expect: { grpcStatus: "0" },
    },
  ];
  const protocols: Array<[string, typeof call]> = [
    ["gRPC (h2c)", call],
    ["gRPC-Web (HTTP/1.1)", webCallH1],
    ["gRPC-Web (h2c)", (url, path, body, headers) => call(url, path, body, headers, true)],
  ];
  for (const [protocol, send] of protocols) {
    describe(protocol, () => {
      for (const c of cases) {
        it(c.case, async () => {
          const headers = {
            ...c.headers,
            ...(protocol.startsWith("gRPC-Web") && c.headers?.["content-type"]
              ? { "content-type": c.headers["content-type"].replace("grpc", "grpc-web") }
              : {}),
          };
          const [direct, connect] = [await send(servers[0]!.url, PICK, c.body, headers), await send(servers[1]!.url, PICK, c.body, headers)];
          assert.deepEqual(direct, connect);
          assert.equal(direct.grpcStatus, c.expect.grpcStatus, direct.grpcMessage);
          assert.deepEqual(await servers[0]!.chillybin.stock(), await servers[1]!.chillybin.stock(), "the same stock taken");
        });
      }
    });
  }
});
