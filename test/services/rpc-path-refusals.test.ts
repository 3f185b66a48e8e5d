// What an RPC path cannot read is refused with a body a client can read
// (Connect's JSON error naming what is wrong), not a bare status: a protocol
// version this server does not speak (refused as connect-go refuses it), a
// Connect GET without its encoding, a bare GET, a body of another type. And
// every gRPC answer advertises what requests may be compressed with
// (grpc-accept-encoding). Checked with curl, as a person debugging would call.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { curl } from "../support/curl.js";
import { captureLogger } from "../support/capture-logger.js";
import { useServices } from "../support/services.js";

const GET_STOCK = "/chillybin.v1.ChillybinService/GetStock";

describe("RPC paths refuse what they cannot read, with a body that says why", () => {
  const log = captureLogger();
  const services = useServices({ chillybinLogger: log.logger });
  let dir: string;
  /** One empty GetStockRequest, framed: a 5-byte frame of zeros. */
  let emptyFrame: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "rpc-refusals-"));
    emptyFrame = path.join(dir, "empty-frame.bin");
    writeFileSync(emptyFrame, new Uint8Array(5));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const table: Array<{ case: string; args: (url: string) => string[]; status: number; message: RegExp }> = [
    {
      case: "connect-protocol-version: 2",
      args: (url) => ["-H", "content-type: application/json", "-H", "connect-protocol-version: 2", "-d", "{}", `${url}${GET_STOCK}`],
      status: 400,
      message: /^connect-protocol-version must be "1": got "2"$/,
    },
    {
      case: "a Connect GET with connect=v2",
      args: (url) => [`${url}${GET_STOCK}?connect=v2&encoding=json&message=%7B%7D`],
      status: 400,
      message: /^connect must be "v1": got "v2"$/,
    },
    {
      case: "a Connect GET without encoding",
      args: (url) => [`${url}${GET_STOCK}?message=%7B%7D`],
      status: 415,
      message: /names its encoding \(encoding=json or encoding=proto\) and its message/,
    },
    { case: "a bare GET", args: (url) => [`${url}${GET_STOCK}`], status: 415, message: /names its encoding/ },
    {
      case: "a POST of text",
      args: (url) => ["-H", "content-type: text/plain", "-d", "hello", `${url}${GET_STOCK}`],
      status: 415,
      message: /^content-type "text\/plain" is not one \/chillybin.v1.ChillybinService\/GetStock reads: application\/json or application\/proto/,
    },
  ];
  for (const t of table) {
    it(`${t.case}: ${t.status} with Connect's JSON error, logged as connect`, async () => {
      const res = await curl(t.args(services.chillybin.server.url));
      assert.equal(res.status, t.status, res.body);
      assert.equal(res.headers["content-type"], "application/json");
      const error = JSON.parse(res.body) as { code: string; message: string };
      assert.equal(error.code, "invalid_argument");
      assert.match(error.message, t.message);
      const line = await log.waitFor((l) => l.requestId === res.headers["x-request-id"] && l.msg === "request");
      assert.deepEqual([line?.protocol, line?.rpc, line?.code], ["connect", "chillybin.v1.ChillybinService/GetStock", "invalid_argument"]);
    });
  }

  for (const [protocol, args] of [
    ["gRPC", ["--http2-prior-knowledge", "-H", "content-type: application/grpc", "-H", "te: trailers"]],
    ["gRPC-Web", ["-H", "content-type: application/grpc-web+proto"]],
    // Media types are case-insensitive (RFC 9110 §8.3.1), and Connect reads this one as gRPC.
    ["gRPC, its content type in capitals", ["--http2-prior-knowledge", "-H", "content-type: application/GRPC", "-H", "te: trailers"]],
  ] as const) {
    it(`${protocol} answers advertise grpc-accept-encoding`, async () => {
      const res = await curl([...args, "--data-binary", `@${emptyFrame}`, `${services.chillybin.server.url}${GET_STOCK}`]);
      assert.equal(res.status, 200);
      assert.equal(res.headers["grpc-status"] ?? "in the trailers", "in the trailers", "answered, not refused");
      assert.equal(res.headers["grpc-accept-encoding"], "gzip,br");
    });
  }
});
