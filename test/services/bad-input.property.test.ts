// Property-based tests (fast-check): whatever arrives, every path and RPC
// answers 2xx or 4xx with a clear message, never 5xx, never crashes, and a
// refused request changes nothing.
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { routesOf } from "../../lib/transcoding/index.js";
import { request, type HttpResult } from "../support/http.js";
import { grpcJsRawUnary } from "../support/transports.js";
import { useServices, type TestChillybin, type TestJafflr } from "../support/services.js";

const RUNS = 60;
const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

/** The services each process serves, as their descriptors say. */
const SERVED = {
  chillybin: [v1.ChillybinService, v2.ChillybinService],
  jafflr: [JafflrService],
} as const;
type ServiceName = keyof typeof SERVED;
const served = Object.entries(SERVED) as Array<[ServiceName, readonly DescService[]]>;

// Every REST binding and every RPC, from the descriptors: a new one is tested without editing this file.
// (Restock puts back the default stock, which is what these tests start from: accepted, it changes nothing here.)
const REST: Array<{ service: ServiceName; method: string; path: string }> = served.flatMap(([service, descs]) =>
  routesOf(descs).map((route) => {
    assert.equal(route.template.variables.length, 0, `${route.template.source}: a path variable needs a value here`);
    return { service, method: route.httpMethod, path: route.template.source };
  }),
);
const RPCS: Array<{ service: ServiceName; path: string }> = served.flatMap(([service, descs]) =>
  descs.flatMap((desc) => desc.methods.map((m) => ({ service, path: `/${desc.typeName}/${m.name}` }))),
);

/** Names close to the real ones, so that some requests get past the first check. */
const fieldName = fc.oneof(
  fc.constantFrom("name", "nome", "quantity", "i", "ingredients", "doneness", "customer", "ingredient", "filter.x", ""),
  fc.string({ maxLength: 8 }),
);
const fieldValue = fc.oneof(
  fc.constantFrom("cheese", "ham", "bread", "-1", "0", "1", "99999999999", "1.5", "medium", "crispy", "true", "%", "%2F", ""),
  fc.string({ maxLength: 12 }),
);
const queryString = fc
  .array(fc.tuple(fieldName, fieldValue), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));
const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "text/plain",
    "application/proto",
    "application/grpc",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin1",
    "multipart/form-data",
    "",
  ),
  fc.string({ maxLength: 20 }),
);

describe("bad input never breaks anything (property-based)", function () {
  this.timeout(120_000);
  const services = useServices();
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  const url = (service: ServiceName) => (service === "chillybin" ? chillybin : jafflr).server.url;
  const stock = () => chillybin.stock();

  before(() => ({ chillybin, jafflr } = services));
  beforeEach(() => chillybin.setStock(DEFAULT));

  /** A refusal is a 4xx with a JSON message; success is 2xx; nothing else is allowed. */
  function assertAnswered(res: HttpResult, what: string): void {
    assert.ok(res.status < 500, `${what} → ${res.status} ${res.text}`);
    if (res.status >= 400) {
      const message = (res.json as { message?: unknown } | undefined)?.message;
      assert.ok(typeof message === "string" && message.length > 0, `${what} → ${res.status} without a clear message: ${res.text}`);
    }
  }

  it("REST: random query strings and bodies on every path", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REST),
        queryString,
        fc.option(fc.oneof(fc.json(), fc.string({ maxLength: 40 }))),
        contentType,
        async (route, query, body, type) => {
          const res = await request(url(route.service), route.method, `${route.path}?${query}`, {
            body: body ?? undefined,
            headers: type ? { "content-type": type } : {},
          });
          assertAnswered(res, `${route.method} ${route.path}?${query} (${type}) ${body ?? ""}`);
          if (res.status < 300 && route.path !== "/") accepted++;
        },
      ),
      { numRuns: RUNS * 3 },
    );
    if (accepted === 0) assert.deepEqual(await stock(), DEFAULT);
  });

  it("Connect: random JSON under JSON and foreign content types", async () => {
    const type = fc.oneof(
      fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""),
      fc.string({ maxLength: 20 }).filter((t) => !/proto|grpc/i.test(t)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...RPCS), fc.oneof(fc.json(), fc.string({ maxLength: 40 })), type, async (rpc, body, contentType) => {
        const res = await request(url(rpc.service), "POST", rpc.path, { body, headers: contentType ? { "content-type": contentType } : {} });
        assert.ok(res.status < 500, `${rpc.path} (${contentType}) ${JSON.stringify(body)} → ${res.status} ${res.text}`);
      }),
      { numRuns: RUNS * 2 },
    );
    for (const quantity of Object.values(await stock())) assert.ok(quantity >= 0);
  });

  it("Connect JSON, gRPC-Web JSON and REST: a body that is not a JSON object says so in words, changing nothing", async () => {
    const bodies: Array<[string, RegExp]> = [
      ["null", /, not null$/],
      ["[]", /, not an array$/],
      ["3", /, not a number \(3\)$/],
      ['"cheese"', /, not a string$/],
      ["true", /, not a bool \(true\)$/],
    ];
    for (const rpc of RPCS) {
      for (const [body, says] of bodies) {
        const connect = await request(url(rpc.service), "POST", rpc.path, { body, headers: { "content-type": "application/json" } });
        const error = connect.json as { code: string; message: string };
        assert.deepEqual([connect.status, error.code], [400, "invalid_argument"], `${rpc.path} ${body}: ${connect.text}`);
        assert.match(error.message, /^the request body must be a JSON object \([\w.]+\)/);
        assert.match(error.message, says);
        const web = await request(url(rpc.service), "POST", rpc.path, {
          body: encodeEnvelope(0, new TextEncoder().encode(body)),
          headers: { "content-type": "application/grpc-web+json" },
        });
        assert.equal(grpcWebStatus(web), "3", `${rpc.path} ${body} over gRPC-Web: ${web.text}`);
        assert.match(decodeURIComponent(/grpc-message: ?([^\r]*)/.exec(web.text)?.[1] ?? ""), says);
      }
    }
    // REST routes whose body is the whole request say it alike.
    for (const path of ["/v2/pick", "/v2/orders"]) {
      for (const [body, says] of bodies) {
        const rest = await request(url("chillybin"), "POST", path, { body, headers: { "content-type": "application/json" } });
        assert.equal(rest.status, 400, `${path} ${body}: ${rest.text}`);
        assert.match((rest.json as { message: string }).message, says);
      }
    }
    assert.deepEqual(await stock(), DEFAULT);
  });

  // Bytes that are not protobuf: a truncated length-delimited field 1 (the
  // ingredient / customer string of every request here), and an invalid wire type.
  const UNDECODABLE = [Uint8Array.of(0x0a, 0x05, 0x63), Uint8Array.of(0x0f, 0xff, 0xff)];
  const address = (service: ServiceName) => url(service).replace("http://", "");

  /** The grpc-status in a gRPC-Web response's trailer frame. */
  const grpcWebStatus = (res: HttpResult) => /grpc-status: ?(\d+)/.exec(res.text)?.[1] ?? res.headers["grpc-status"];

  const PROTOCOLS: Array<{ name: string; send: (rpc: (typeof RPCS)[number], bytes: Uint8Array) => Promise<{ code: string; message: string }> }> = [
    {
      name: "Connect (application/proto)",
      send: async (rpc, bytes) => {
        const res = await request(url(rpc.service), "POST", rpc.path, { body: bytes, headers: { "content-type": "application/proto" } });
        if (res.status < 300) return { code: "ok", message: "" };
        const error = res.json as { code: string; message: string };
        assert.equal(res.status, 400, `HTTP status for ${error.code}`);
        return error;
      },
    },
    {
      name: "gRPC (@grpc/grpc-js)",
      send: async (rpc, bytes) => {
        const client = new grpc.Client(address(rpc.service), grpc.credentials.createInsecure());
        try {
          const outcome = await grpcJsRawUnary(client, rpc.path, bytes);
          return {
            code: outcome.code === grpc.status.INVALID_ARGUMENT ? "invalid_argument" : grpc.status[outcome.code]!.toLowerCase(),
            message: outcome.details,
          };
        } finally {
          client.close();
        }
      },
    },
    {
      name: "gRPC-Web (application/grpc-web+proto)",
      send: async (rpc, bytes) => {
        const res = await request(url(rpc.service), "POST", rpc.path, {
          body: encodeEnvelope(0, bytes),
          headers: { "content-type": "application/grpc-web+proto" },
        });
        const status = grpcWebStatus(res);
        const message = decodeURIComponent(/grpc-message: ?([^\r]*)/.exec(res.text)?.[1] ?? "");
        return { code: status === "3" ? "invalid_argument" : status === "0" ? "ok" : `grpc-status ${status}`, message };
      },
    },
  ];

  for (const protocol of PROTOCOLS) {
    it(`${protocol.name}: a message that is not protobuf is invalid_argument with a clear message, changing nothing`, async () => {
      for (const rpc of RPCS) {
        for (const bytes of UNDECODABLE) {
          const error = await protocol.send(rpc, bytes);
          assert.equal(error.code, "invalid_argument", `${rpc.path} ${Buffer.from(bytes).toString("hex")}: ${error.message}`);
          assert.match(error.message, /parse binary/);
        }
      }
      assert.deepEqual(await stock(), DEFAULT);
    });
  }

  it("Connect binary and gRPC: random bytes as the message never get internal or unknown", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...RPCS), fc.constantFrom(...PROTOCOLS), fc.uint8Array({ maxLength: 48 }), async (rpc, protocol, bytes) => {
        const { code, message } = await protocol.send(rpc, bytes);
        assert.ok(
          !["internal", "unknown"].includes(code) && !code.startsWith("grpc-status"),
          `${protocol.name} ${rpc.path} ${Buffer.from(bytes).toString("hex")} → ${code}: ${message}`,
        );
        if (code !== "ok") assert.ok(message.length > 0, `${code} without a message`);
      }),
      { numRuns: RUNS * 2 },
    );
    for (const quantity of Object.values(await stock())) assert.ok(quantity >= 0);
  });

  it("oversized bodies are refused with 413 (REST) or resource_exhausted (Connect), changing nothing", async () => {
    const big = JSON.stringify({ ingredient: "cheese", quantity: 1, customer: "x".repeat(2 * 1024 * 1024) });
    const rest = await request(chillybin.server.url, "POST", "/v2/pick", { body: big, headers: { "content-type": "application/json" } });
    assert.equal(rest.status, 413);
    assertAnswered(rest, "REST 2 MiB");
    const connect = await request(chillybin.server.url, "POST", "/chillybin.v2.ChillybinService/Pick", {
      body: big,
      headers: { "content-type": "application/json" },
    });
    assert.ok(connect.status >= 400 && connect.status < 500, `${connect.status} ${connect.text.slice(0, 200)}`);
    assert.equal((connect.json as { code: string }).code, "resource_exhausted");
    assert.deepEqual(await stock(), DEFAULT);
  });
});
