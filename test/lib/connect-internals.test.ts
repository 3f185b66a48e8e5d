// Each Connect internal the code relies on (lib/connect-internals.ts) still
// does what the code relies on it for. Connect may change any of them in any
// release: on an upgrade, this names the one that changed, so that whoever
// upgrades knows what to mend before anything reaches a user.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext, type Interceptor } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import * as internals from "../../lib/connect-internals.js";
import { CONNECT_INTERNALS, type ConnectInternal } from "../../lib/connect-internals.js";
import { PickRequestSchema, PickResponseSchema } from "../../gen/chillybin/v1/chillybin_pb.js";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";

const pick = ChillybinService.method.pick;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const rejects = (fn: () => unknown, code: Code) =>
  assert.throws(fn, (e: unknown) => e instanceof ConnectError && e.code === code, `expected a ConnectError with code ${Code[code]}`);

/** What each internal must still do. A new internal without a probe here fails the test below. */
const PROBES: Record<ConnectInternal, () => void | Promise<void>> = {
  async invokeUnaryImplementation() {
    const seen: string[] = [];
    const outer: Interceptor = (next) => async (req) => {
      seen.push(`outer ${req.method.name}`);
      return next(req);
    };
    const context = createHandlerContext({
      service: ChillybinService,
      method: pick,
      protocolName: "grpc",
      requestMethod: "POST",
      url: "/chillybin.v1.ChillybinService/Pick",
      timeoutMs: undefined,
      shutdownSignal: undefined,
      requestSignal: new AbortController().signal,
    });
    const output = await internals.invokeUnaryImplementation(
      { kind: "unary", method: pick, impl: (req) => ({ name: req.name, quantity: 1 }) },
      context,
      create(PickRequestSchema, { name: "cheese", quantity: 1 }),
      [outer],
    );
    assert.deepEqual(seen, ["outer Pick"]);
    assert.equal(output.name, "cheese");
  },
  compressionNegotiate() {
    const negotiated = internals.compressionNegotiate([compressionGzip], null, "br, gzip", "Accept-Encoding");
    assert.equal(negotiated.response?.name, "gzip");
    assert.equal(internals.compressionNegotiate([compressionGzip], "zstd", null, "Accept-Encoding").error?.code, Code.Unimplemented);
  },
  createMethodSerializationLookup() {
    const lookup = internals.createMethodSerializationLookup(pick, undefined, { ignoreUnknownFields: false }, { readMaxBytes: 64, writeMaxBytes: 8 });
    const json = new TextEncoder().encode('{"name":"cheese","quantity":2}');
    assert.equal(lookup.getI(false).parse(json).quantity, 2);
    rejects(() => lookup.getI(false).parse(new TextEncoder().encode('{"nome":"cheese"}')), Code.InvalidArgument);
    rejects(() => lookup.getO(true).serialize(create(PickResponseSchema, { name: "a name longer than eight bytes" })), Code.ResourceExhausted);
  },
  mergeNonProtocolHeaders() {
    const into = new Headers({ "content-type": "application/proto" });
    internals.mergeNonProtocolHeaders(into, new Headers({ "content-type": "text/html", "grpc-status": "0", "x-retry-after": "3" }));
    assert.equal(into.get("content-type"), "application/proto");
    assert.equal(into.get("grpc-status"), null);
    assert.equal(into.get("x-retry-after"), "3");
  },
  encodeEnvelope() {
    assert.deepEqual([...internals.encodeEnvelope(0, new Uint8Array([7, 8]))], [0, 0, 0, 0, 2, 7, 8]);
  },
  codeToHttpStatus() {
    assert.deepEqual(
      [Code.InvalidArgument, Code.NotFound, Code.ResourceExhausted, Code.Unimplemented, Code.Unavailable, Code.DeadlineExceeded].map(
        internals.codeToHttpStatus,
      ),
      [400, 404, 429, 501, 503, 504],
    );
  },
  errorToJson() {
    assert.deepEqual(internals.errorToJson(new ConnectError("no such ingredient", Code.NotFound), undefined), {
      code: "not_found",
      message: "no such ingredient",
    });
  },
  errorToJsonBytes() {
    assert.deepEqual(JSON.parse(text(internals.errorToJsonBytes(new ConnectError("late", Code.DeadlineExceeded), {}))), {
      code: "deadline_exceeded",
      message: "late",
    });
  },
  connectParseContentType() {
    assert.deepEqual(internals.connectParseContentType("application/json; charset=utf-8"), { stream: false, binary: false });
    assert.deepEqual(internals.connectParseContentType("application/proto"), { stream: false, binary: true });
    assert.equal(internals.connectParseContentType("text/plain"), undefined);
  },
  connectParseTimeout() {
    assert.equal(internals.connectParseTimeout("1500", Number.MAX_SAFE_INTEGER).timeoutMs, 1500);
    assert.equal(internals.connectParseTimeout("soon", Number.MAX_SAFE_INTEGER).error?.code, Code.InvalidArgument);
    assert.equal(internals.connectParseTimeout("2000", 1000).error?.code, Code.InvalidArgument);
    const none = internals.connectParseTimeout(null, 1000);
    assert.equal(none.timeoutMs, undefined);
    assert.equal(none.error, undefined);
  },
  trailerMux() {
    const muxed = internals.trailerMux(new Headers({ "content-type": "application/json" }), new Headers({ "x-stock": "9" }));
    assert.equal(muxed.get("trailer-x-stock"), "9");
    assert.equal(muxed.get("content-type"), "application/json");
  },
  grpcParseContentType() {
    assert.equal(internals.grpcParseContentType("application/grpc")?.binary, true);
    assert.equal(internals.grpcParseContentType("application/grpc+json")?.binary, false);
    assert.equal(internals.grpcParseContentType("application/grpc-web"), undefined);
  },
  grpcParseTimeout() {
    assert.equal(internals.grpcParseTimeout("2S", Number.MAX_SAFE_INTEGER).timeoutMs, 2000);
    assert.equal(internals.grpcParseTimeout("100m", Number.MAX_SAFE_INTEGER).timeoutMs, 100);
    assert.equal(internals.grpcParseTimeout("2 seconds", Number.MAX_SAFE_INTEGER).error?.code, Code.InvalidArgument);
  },
  grpcSetTrailerStatus() {
    const trailer = new Headers();
    internals.grpcSetTrailerStatus(trailer, new ConnectError("gone", Code.NotFound, { "x-why": "eaten", "content-type": "text/html" }));
    assert.equal(trailer.get("grpc-status"), "5");
    assert.equal(trailer.get("grpc-message"), "gone");
    assert.equal(trailer.get("x-why"), "eaten");
    assert.equal(trailer.get("content-type"), null);
    const ok = new Headers();
    internals.grpcSetTrailerStatus(ok, undefined);
    assert.equal(ok.get("grpc-status"), "0");
  },
  grpcRequestHeaderWithCompression() {
    const header = internals.grpcRequestHeaderWithCompression(true, 250, { "x-request-id": "r1" }, [compressionGzip], null);
    assert.equal(header.get("grpc-accept-encoding"), "gzip");
    assert.equal(header.get("content-type"), "application/grpc+proto");
    assert.equal(header.get("grpc-timeout"), "250m");
    assert.equal(header.get("te"), "trailers");
    assert.equal(header.get("x-request-id"), "r1");
  },
  grpcValidateResponseWithCompression() {
    const validate = (status: number, headers: Record<string, string>) =>
      internals.grpcValidateResponseWithCompression([compressionGzip], status, new Headers(headers));
    const plain = validate(200, { "content-type": "application/grpc" });
    assert.deepEqual([plain.headerError, plain.compression], [undefined, undefined]);
    assert.equal(validate(200, { "content-type": "application/grpc", "grpc-encoding": "gzip" }).compression?.name, "gzip");
    rejects(() => validate(200, { "content-type": "application/grpc", "grpc-encoding": "zstd" }), Code.Internal);
    assert.equal(validate(200, { "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "down" }).headerError?.code, Code.Unavailable);
    rejects(() => validate(503, {}), Code.Unavailable);
  },
  async envelopeDecompress() {
    const data = new Uint8Array(await compressionGzip.compress(new TextEncoder().encode("cheese")));
    const { flags, data: out } = await internals.envelopeDecompress({ flags: 1, data }, compressionGzip, 1024);
    assert.deepEqual([flags, text(out)], [0, "cheese"]);
    await assert.rejects(internals.envelopeDecompress({ flags: 1, data }, null, 1024), (e: unknown) => e instanceof ConnectError && e.code === Code.Internal);
  },
  grpcValidateTrailer() {
    internals.grpcValidateTrailer(new Headers({ "grpc-status": "0" }), new Headers());
    rejects(
      () => internals.grpcValidateTrailer(new Headers({ "grpc-status": "9", "grpc-message": "out%20of%20stock" }), new Headers()),
      Code.FailedPrecondition,
    );
  },
  grpcWebParseContentType() {
    assert.deepEqual(internals.grpcWebParseContentType("application/grpc-web+proto"), { text: false, binary: true });
    assert.deepEqual(internals.grpcWebParseContentType("application/grpc-web-text"), { text: true, binary: true });
  },
  grpcWebTrailerSerialize() {
    assert.equal(text(internals.grpcWebTrailerSerialize(new Headers({ "grpc-status": "0" }))), "grpc-status: 0\r\n");
  },
};

const connectVersion = (name: string) => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;

describe("Connect internals (lib/connect-internals.ts)", () => {
  const installed = connectVersion("@connectrpc/connect");
  for (const [name, use] of Object.entries(CONNECT_INTERNALS) as Array<[ConnectInternal, string]>) {
    it(`${name} still does what ${use.split(":")[0]} relies on`, async () => {
      assert.ok(PROBES[name], `${name} has no probe here: add one saying what the code relies on it for`);
      try {
        // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a test, checking every export by name
        assert.notEqual(internals[name], undefined, `Connect no longer exports ${name}`);
        await PROBES[name]();
      } catch (error) {
        assert.fail(
          `Connect ${installed} changed ${name}, which ${use}.\n${String(error)}\nMend lib/connect-internals.ts (and its users) before lifting the pin.`,
        );
      }
    });
  }

  it("every probe is for an internal the module lists", () => {
    assert.deepEqual(Object.keys(PROBES).sort(), Object.keys(CONNECT_INTERNALS).sort());
  });

  it("Connect is pinned to the exact version installed, and package.json says why", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string>; pinned: Record<string, string> };
    for (const name of ["@connectrpc/connect", "@connectrpc/connect-node"]) {
      assert.equal(pkg.dependencies[name], connectVersion(name), `${name} must be an exact version, the one installed`);
    }
    assert.equal(pkg.dependencies["@connectrpc/connect"], pkg.dependencies["@connectrpc/connect-node"], "connect and connect-node move together");
    assert.match(pkg.pinned["@connectrpc/connect"] ?? "", /lib\/connect-internals\.ts/, 'package.json\'s "pinned" must name the internals as the reason');
  });
});
