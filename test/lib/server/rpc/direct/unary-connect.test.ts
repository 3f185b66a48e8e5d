// The direct path for unary Connect calls (lib/server/rpc/direct/unary-connect.ts) must
// answer exactly as Connect's own unary handler does: each call below goes to
// a direct and a Connect-only chillybin on identical databases, over HTTP/1.1
// and h2c, and the answers (status, the headers a client reads, the body)
// must match. The cases cover what the direct path answers itself and what it
// hands to Connect (compression, other protocol versions, bad timeouts,
// bodies Connect refuses to parse, bodies over the limit).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { PickRequestSchema } from "../../../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../../../gen/chillybin/v2/chillybin_pb.js";
import { request } from "../../../../support/http.js";
import { startParityServers, type ParityServer } from "../../../../support/parity-servers.js";

const PICK = "/chillybin.v1.ChillybinService/Pick";
const PICK_ORDER = "/chillybin.v2.ChillybinService/PickOrder";
const MAX_BODY_BYTES = 256;
/** What a client reads from a unary Connect answer. */
const READ_HEADERS = ["content-type", "content-encoding", "trailer-x-example"];

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const proto = (name: string, quantity: number) => Buffer.from(toBinary(PickRequestSchema, create(PickRequestSchema, { name, quantity })));

async function h1(baseUrl: string, path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await request(baseUrl, "POST", path, { body, headers });
  return {
    status: res.status,
    headers: Object.fromEntries(READ_HEADERS.map((h) => [h, res.headers[h] as string | undefined])),
    body: res.bytes.toString("base64"),
  };
}

function h2(baseUrl: string, path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let answer: Omit<Answer, "body"> | undefined;
    stream.on(
      "response",
      (h) => (answer = { status: Number(h[":status"]), headers: Object.fromEntries(READ_HEADERS.map((n) => [n, h[n] as string | undefined])) }),
    );
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ ...answer!, body: Buffer.concat(chunks).toString("base64") });
    });
    stream.end(body);
  });
}

describe("lib/server: the direct unary Connect path answers as Connect's handler does", function () {
  this.timeout(30_000);
  let servers: ParityServer[] = [];
  let stop = async () => {};
  before(async () => {
    ({ servers, stop } = await startParityServers(MAX_BODY_BYTES));
    // Enough for every case on both protocols; vegemite stays short for the refusal.
    for (const s of servers) await s.chillybin.setStock({ bread: 100, cheese: 100 });
  });
  after(() => stop());

  const PROTO = { "content-type": "application/proto" };
  const JSON_TYPE = { "content-type": "application/json" };
  const cases: Array<{ case: string; path?: string; body: Buffer; headers: Record<string, string>; status: number }> = [
    { case: "a pick, binary", body: proto("cheese", 1), headers: PROTO, status: 200 },
    { case: "a pick, JSON", body: json({ name: "cheese", quantity: 1 }), headers: JSON_TYPE, status: 200 },
    {
      case: "a pick, JSON with charset and protocol version 1",
      body: json({ name: "bread", quantity: 1 }),
      headers: { "content-type": "application/json; charset=utf-8", "connect-protocol-version": "1" },
      status: 200,
    },
    {
      case: "an order with its ids (int64 as strings)",
      path: PICK_ORDER,
      body: json({ customer: "gita", items: [{ ingredient: "bread", quantity: 2 }], reference: "r" }),
      headers: JSON_TYPE,
      status: 200,
    },
    { case: "an unknown ingredient: 404 with a StockRefusal detail", body: json({ name: "ham", quantity: 1 }), headers: JSON_TYPE, status: 404 },
    { case: "too little in stock", body: proto("vegemite", 99), headers: PROTO, status: 400 },
    { case: "an invalid quantity", body: json({ name: "cheese", quantity: 0 }), headers: JSON_TYPE, status: 400 },
    { case: "a NUL in a string", body: json({ name: "che\u0000se", quantity: 1 }), headers: JSON_TYPE, status: 400 },
    { case: "an empty body (every field default)", body: Buffer.alloc(0), headers: PROTO, status: 400 },
    { case: "an unknown JSON field (Connect's path)", body: json({ nome: "cheese", quantity: 1 }), headers: JSON_TYPE, status: 400 },
    { case: "JSON that is not JSON (Connect's path)", body: Buffer.from("{nope"), headers: JSON_TYPE, status: 400 },
    { case: "bytes that are not protobuf (Connect's path)", body: Buffer.from([0xff, 0xff, 0xff]), headers: PROTO, status: 400 },
    {
      case: "a gzip-compressed body (Connect's path)",
      body: gzipSync(json({ name: "bread", quantity: 1 })),
      headers: { ...JSON_TYPE, "content-encoding": "gzip" },
      status: 200,
    },
    {
      case: "a client that accepts gzip, answered uncompressed (under 1 KiB)",
      body: json({ name: "bread", quantity: 1 }),
      headers: { ...JSON_TYPE, "accept-encoding": "gzip" },
      status: 200,
    },
    // A version this server does not speak is refused before either path, as connect-go refuses it.
    {
      case: "protocol version 2 (refused before either path)",
      body: json({ name: "bread", quantity: 1 }),
      headers: { ...JSON_TYPE, "connect-protocol-version": "2" },
      status: 400,
    },
    {
      case: "a connect-timeout-ms that is not one (Connect's path)",
      body: json({ name: "bread", quantity: 1 }),
      headers: { ...JSON_TYPE, "connect-timeout-ms": "soon" },
      status: 400,
    },
    {
      case: "a generous connect-timeout-ms",
      body: json({ name: "bread", quantity: 1 }),
      headers: { ...JSON_TYPE, "connect-timeout-ms": "10000" },
      status: 200,
    },
    {
      case: "a body larger than the server accepts (Connect's path)",
      body: json({ name: "x".repeat(MAX_BODY_BYTES * 2), quantity: 1 }),
      headers: JSON_TYPE,
      status: 429,
    },
  ];
  for (const [protocol, send] of [
    ["HTTP/1.1", h1],
    ["h2c", h2],
  ] as const) {
    describe(protocol, () => {
      for (const c of cases) {
        it(c.case, async () => {
          const path = c.path ?? PICK;
          const [direct, connect] = [await send(servers[0]!.url, path, c.body, c.headers), await send(servers[1]!.url, path, c.body, c.headers)];
          assert.deepEqual(direct, connect);
          assert.equal(direct.status, c.status, Buffer.from(direct.body, "base64").toString());
          assert.deepEqual(await servers[0]!.chillybin.stock(), await servers[1]!.chillybin.stock(), "the same stock taken");
        });
      }
    });
  }

  it("the detail of a refusal is in the direct answer's JSON", async () => {
    const answer = await h1(servers[0]!.url, PICK, json({ name: "ham", quantity: 1 }), JSON_TYPE);
    const error = JSON.parse(Buffer.from(answer.body, "base64").toString()) as { code: string; details: Array<{ type: string }> };
    assert.equal(error.code, "not_found");
    assert.equal(error.details[0]?.type, v2.StockRefusalSchema.typeName);
  });
});
