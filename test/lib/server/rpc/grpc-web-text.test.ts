// gRPC-Web's text mode (application/grpc-web-text): the binary mode's frames in
// base64, both ways. Unit cases for the base64 body; then calls in text mode
// answer what the same call in binary mode answers (messages, trailers,
// errors with their details), on a server with every direct path on and one
// with none, and a text client is always told it is reading text.
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import * as v1 from "../../../../gen/chillybin/v1/chillybin_pb.js";
import { HealthCheckRequestSchema, HealthCheckResponseSchema } from "../../../../gen/grpc/health/v1/health_pb.js";
import { NO_DIRECT_PATHS } from "../../../../lib/direct-paths.js";
import { decodeBase64Body, encodeBase64Body } from "../../../../lib/server/rpc/grpc-web-text.js";
import { request } from "../../../support/http.js";
import { startChillybin, type TestChillybin } from "../../../support/services.js";

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* pieces(...texts: string[]): AsyncIterable<Uint8Array> {
  for (const text of texts) yield Buffer.from(text, "latin1");
}

describe("gRPC-Web text bodies", () => {
  const bytes = Buffer.from("a frame of gRPC-Web, binary \x00\x01\x02\xff", "latin1");
  const whole = bytes.toString("base64");
  const decodes: Array<[string, string[], Buffer]> = [
    ["one piece", [whole], bytes],
    ["split at every odd place", whole.match(/.{1,3}/g)!, bytes],
    ["pieces padded each on its own (as the grpc-web client sends messages)", ["QQ==", "QkM=", "RA=="], Buffer.from("ABCD")],
    ["padding arriving apart from its group", ["QQ", "=", "="], Buffer.from("A")],
    ["with line breaks", [`${whole.slice(0, 8)}\r\n${whole.slice(8)}`], bytes],
    ["nothing", [], Buffer.alloc(0)],
  ];
  for (const [what, input, expected] of decodes) {
    it(`decodes ${what}`, async () => {
      assert.deepEqual(await collect(decodeBase64Body(pieces(...input))), expected);
    });
  }
  const refusals: Array<[string, string[], RegExp]> = [
    ["a character base64 has not", ["QUJD!A=="], /not base64/],
    ["a body that stops inside a group", ["QUJDR"], /ends inside a base64 group/],
    ["padding at the start of a group", ["=QUJ"], /not base64/],
  ];
  for (const [what, input, why] of refusals) {
    it(`refuses ${what} with invalid_argument`, async () => {
      await assert.rejects(
        collect(decodeBase64Body(pieces(...input))),
        (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument && why.test(e.message),
      );
    });
  }
  it("encodes each piece as it comes, padded, so a streamed message is not held back", async () => {
    const encoded = await collect(encodeBase64Body(pieces("A", "BC", "")));
    assert.equal(encoded.toString("latin1"), "QQ==QkM=");
    assert.equal((await collect(decodeBase64Body(pieces(encoded.toString("latin1"))))).toString(), "ABC");
  });
});

/** Base64 that may be several pieces, each padded on its own (Node's decoder stops at the first padding). */
function fromBase64Pieces(text: string): Buffer {
  return Buffer.concat(text.split(/(?<==)(?=[^=])/).map((piece) => Buffer.from(piece, "base64")));
}

/** What a gRPC-Web answer said: its messages, and its trailers. */
interface GrpcWebAnswer {
  status: number;
  contentType: string;
  messages: Buffer[];
  trailers: Record<string, string>;
}

/** A gRPC-Web call over HTTP/1.1 as a browser sends it, in text or binary mode; frames read from the (decoded) body, and trailers-only answers from the headers. */
async function grpcWebCall(
  baseUrl: string,
  path: string,
  message: Uint8Array,
  mode: "text" | "binary",
  headers: Record<string, string> = {},
): Promise<GrpcWebAnswer> {
  const frame = encodeEnvelope(0, message);
  const answer = await request(baseUrl, "POST", path, {
    body: mode === "text" ? Buffer.from(Buffer.from(frame).toString("base64"), "latin1") : frame,
    headers: { "content-type": mode === "text" ? "application/grpc-web-text" : "application/grpc-web+proto", "x-grpc-web": "1", ...headers },
  });
  const contentType = String(answer.headers["content-type"]);
  let body = answer.bytes;
  if (mode === "text") body = fromBase64Pieces(body.toString("latin1"));
  const messages: Buffer[] = [];
  const trailers: Record<string, string> = {};
  for (const name of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
    const value = answer.headers[name];
    if (value !== undefined) trailers[name] = String(value);
  }
  for (let at = 0; at < body.length; ) {
    const flags = body[at]!;
    const length = body.readUInt32BE(at + 1);
    const data = body.subarray(at + 5, at + 5 + length);
    at += 5 + length;
    if (flags & 0x80) {
      for (const line of data.toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    } else messages.push(data);
  }
  return { status: answer.status, contentType, messages, trailers };
}

describe("gRPC-Web text mode, against chillybin", function () {
  this.timeout(60_000);
  let direct: TestChillybin;
  let connectOnly: TestChillybin;
  before(async () => {
    direct = await startChillybin();
    connectOnly = await startChillybin({ directPaths: NO_DIRECT_PATHS });
  });
  after(async () => {
    await direct?.stop();
    await connectOnly?.stop();
  });

  const calls: Array<[string, string, Uint8Array, Record<string, string>]> = [
    ["a unary call", "/chillybin.v1.ChillybinService/GetStock", toBinary(v1.GetStockRequestSchema, create(v1.GetStockRequestSchema)), {}],
    ["a pick", "/chillybin.v1.ChillybinService/Pick", toBinary(v1.PickRequestSchema, create(v1.PickRequestSchema, { name: "bread", quantity: 1 })), {}],
    [
      "a refusal with its StockRefusal detail",
      "/chillybin.v1.ChillybinService/Pick",
      toBinary(v1.PickRequestSchema, create(v1.PickRequestSchema, { name: "cheese", quantity: 99 })),
      {},
    ],
    [
      "a request the schema refuses (Violations detail)",
      "/chillybin.v1.ChillybinService/Pick",
      toBinary(v1.PickRequestSchema, create(v1.PickRequestSchema, { name: "", quantity: 0 })),
      {},
    ],
    ["a method nobody serves", "/chillybin.v1.ChillybinService/Nope", new Uint8Array(0), {}],
    ["a body that is no message", "/chillybin.v1.ChillybinService/GetStock", Buffer.from([0xff, 0xff, 0xff]), {}],
    [
      "a server stream ended by its deadline",
      "/grpc.health.v1.Health/Watch",
      toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema)),
      { "grpc-timeout": "300m" },
    ],
  ];
  for (const [what, path, message, headers] of calls) {
    for (const [server, of] of [
      ["every direct path on", () => direct],
      ["Connect's handlers only", () => connectOnly],
    ] as const) {
      it(`${what} (${server}): the same messages and trailers as in binary mode, and the answer says it is text`, async () => {
        const binary = await grpcWebCall(of().server.url, path, message, "binary", headers);
        const text = await grpcWebCall(of().server.url, path, message, "text", headers);
        assert.equal(text.status, binary.status);
        assert.equal(text.contentType, "application/grpc-web-text+proto");
        assert.equal(binary.contentType, "application/grpc-web+proto");
        assert.deepEqual(text.trailers, binary.trailers);
        // Picks take stock: the two answers differ only in what is left.
        if (path.endsWith("/Pick") && binary.trailers["grpc-status"] === "0") {
          const [b, t] = [binary, text].map((a) => fromBinary(v1.PickResponseSchema, a.messages[0]!));
          assert.equal(t!.remaining, b!.remaining - 1);
        } else assert.deepEqual(text.messages, binary.messages);
        if (path.endsWith("/Watch")) {
          assert.equal(fromBinary(HealthCheckResponseSchema, text.messages[0]!).status, 1, "SERVING");
          assert.equal(text.trailers["grpc-status"], String(Code.DeadlineExceeded));
        }
      });
    }
  }

  it("a text body that is not base64: invalid_argument, and nothing taken", async () => {
    const before = await direct.stock();
    const answer = await request(direct.server.url, "POST", "/chillybin.v1.ChillybinService/Pick", {
      // A pick of bread in base64, with a character base64 has not in its first group.
      body: `AA*${Buffer.from(encodeEnvelope(0, toBinary(v1.PickRequestSchema, create(v1.PickRequestSchema, { name: "bread", quantity: 1 }))))
        .toString("base64")
        .slice(3)}`,
      headers: { "content-type": "application/grpc-web-text", "x-grpc-web": "1" },
    });
    assert.equal(answer.headers["content-type"], "application/grpc-web-text+proto");
    const trailer = fromBase64Pieces(answer.text).toString("latin1");
    assert.match(trailer, /grpc-status:\s*3/);
    assert.match(decodeURIComponent(trailer), /not base64/);
    assert.deepEqual(await direct.stock(), before);
  });
});
