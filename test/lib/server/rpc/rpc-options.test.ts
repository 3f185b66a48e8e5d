// One set of router options (lib/server/rpc/rpc-options.ts) for every path: each
// option below is given to a direct and a Connect-only chillybin, and a call
// where the option decides the answer is made over every protocol by
// Connect-ES's own clients. Both must answer alike, and as the option says
// (so an option the direct paths ignored, or read from a copy of their own,
// fails here).
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ChillybinService, GetStockRequestSchema } from "../../../../gen/chillybin/v1/chillybin_pb.js";
import type { ServeOptions } from "../../../../lib/server/index.js";
import { startParityServers, type ParityServer } from "../../../support/parity-servers.js";
import { request } from "../../../support/http.js";

const MAX_BODY_BYTES = 256;
type MakeTransport = (baseUrl: string, acceptCompression: Compression[]) => Transport;
const TRANSPORTS: Array<[string, MakeTransport]> = [
  ["gRPC (h2c)", (baseUrl, acceptCompression) => createGrpcTransport({ baseUrl, acceptCompression })],
  ["gRPC-Web (HTTP/1.1)", (baseUrl, acceptCompression) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", acceptCompression })],
  ["Connect binary (h2c)", (baseUrl, acceptCompression) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, acceptCompression })],
  ["Connect JSON (HTTP/1.1)", (baseUrl, acceptCompression) => createConnectTransport({ baseUrl, httpVersion: "1.1", acceptCompression })],
];

interface Outcome {
  code: string;
  message?: string;
  /** Whether the client had to decompress the answer. */
  compressed: boolean;
  intercepted: string | null;
}

/** GetStock (an answer of about 30 bytes) by a client that accepts gzip, with what it saw. */
async function getStock(baseUrl: string, transport: MakeTransport, timeoutMs?: number): Promise<Outcome> {
  let header = new Headers();
  let compressed = false;
  const gzip: Compression = {
    ...compressionGzip,
    decompress: (bytes, max) => {
      compressed = true;
      return compressionGzip.decompress(bytes, max);
    },
  };
  try {
    const client = createClient(ChillybinService, transport(baseUrl, [gzip]));
    await client.getStock(create(GetStockRequestSchema), { timeoutMs, onHeader: (h) => (header = h) });
    return { code: "ok", compressed, intercepted: header.get("x-intercepted") };
  } catch (e) {
    const error = ConnectError.from(e);
    const intercepted = header.get("x-intercepted") ?? error.metadata.get("x-intercepted");
    return { code: Code[error.code], message: error.rawMessage, compressed, intercepted };
  }
}

const cases: Array<{
  option: string;
  options: Pick<ServeOptions, "rpc" | "interceptors" | "requestGate">;
  timeoutMs?: number;
  expect: { [K in keyof Outcome]?: Outcome[K] | RegExp };
}> = [
  { option: "none (the defaults): a small answer is not compressed", options: {}, expect: { code: "ok", compressed: false } },
  {
    option: "writeMaxBytes: an answer larger than it is RESOURCE_EXHAUSTED",
    options: { rpc: { writeMaxBytes: 8 } },
    expect: { code: "ResourceExhausted", message: /^message size \d+ is larger than configured writeMaxBytes 8$/ },
  },
  { option: "compressMinBytes: an answer as large as it is compressed", options: { rpc: { compressMinBytes: 1 } }, expect: { code: "ok", compressed: true } },
  {
    option: "acceptCompression: nothing is compressed with what the server does not offer",
    options: { rpc: { compressMinBytes: 1, acceptCompression: [] } },
    expect: { code: "ok", compressed: false },
  },
  {
    option: "maxTimeoutMs: a longer deadline is INVALID_ARGUMENT",
    options: { rpc: { maxTimeoutMs: 1_000 } },
    timeoutMs: 5_000,
    expect: { code: "InvalidArgument" },
  },
  { option: "maxTimeoutMs: a deadline within it is fine", options: { rpc: { maxTimeoutMs: 10_000 } }, timeoutMs: 5_000, expect: { code: "ok" } },
  {
    option: "interceptors: the server's own run on every path",
    options: {
      interceptors: [
        (next) => async (req) => {
          const res = await next(req);
          res.header.set("x-intercepted", req.method.name);
          return res;
        },
      ],
    },
    expect: { code: "ok", intercepted: "GetStock" },
  },
  {
    option: "requestGate: a gate that refuses refuses on every path",
    options: {
      requestGate: (context) => {
        context.responseHeader.set("x-intercepted", "gate");
        throw new ConnectError("closed for stocktake", Code.PermissionDenied);
      },
    },
    expect: { code: "PermissionDenied", message: "closed for stocktake", intercepted: "gate" },
  },
  {
    // An error's metadata reaches the client, but never in place of a protocol header: a
    // content-type of its own would make the answer unreadable, a grpc-status of its own a lie.
    option: "interceptors: an error with metadata, protocol header names among them",
    options: {
      interceptors: [
        () => () => {
          throw new ConnectError("try later", Code.Unavailable, { "x-intercepted": "retry in 3 s", "content-type": "text/html", "grpc-status": "0" });
        },
      ],
    },
    expect: { code: "Unavailable", message: "try later", intercepted: "retry in 3 s" },
  },
];

describe("lib/server: every path runs with the router's one set of options (rpc-options.ts)", function () {
  this.timeout(60_000);
  for (const c of cases) {
    describe(c.option, () => {
      let servers: ParityServer[] = [];
      let stop = async () => {};
      before(async () => ({ servers, stop } = await startParityServers(MAX_BODY_BYTES, c.options)));
      after(() => stop());
      for (const [protocol, transport] of TRANSPORTS) {
        it(`${protocol}: the direct path answers as Connect's handler does`, async () => {
          const [direct, connect] = [await getStock(servers[0]!.url, transport, c.timeoutMs), await getStock(servers[1]!.url, transport, c.timeoutMs)];
          assert.deepEqual(direct, connect);
          for (const [key, value] of Object.entries(c.expect)) {
            const seen = direct[key as keyof Outcome];
            if (value instanceof RegExp) assert.match(String(seen), value, `${key}: ${JSON.stringify(direct)}`);
            else assert.equal(seen, value, `${key}: ${JSON.stringify(direct)}`);
          }
        });
      }
      if (c.option.includes("protocol header names")) {
        it("REST: the error's own headers, content-type still JSON", async () => {
          const res = await request(servers[0]!.url, "GET", "/");
          assert.equal(res.status, 503);
          assert.equal(res.headers["content-type"], "application/json");
          assert.equal(res.headers["x-intercepted"], "retry in 3 s");
          assert.deepEqual(JSON.parse(res.bytes.toString()), { code: "unavailable", message: "try later" });
        });
      }
      if (c.options.rpc?.maxTimeoutMs !== undefined) {
        it("REST: connect-timeout-ms is held to the same limit", async () => {
          const res = await request(servers[0]!.url, "GET", "/", { headers: { "connect-timeout-ms": String(c.timeoutMs) } });
          assert.equal(res.status, c.expect.code === "ok" ? 200 : 400, res.bytes.toString());
        });
      }
    });
  }
});
