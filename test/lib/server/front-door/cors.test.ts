// Browsers on other origins: preflights answered for every RPC path, REST
// route and plain route, with what the protocols need (Connect's own `cors`
// constants) and what the services add; every answer (refusals included)
// readable by an allowed origin's page, by no other.
import assert from "node:assert/strict";
import { cors } from "@connectrpc/connect";
import { ConfigError } from "../../../../lib/config.js";
import { NO_DIRECT_PATHS } from "../../../../lib/direct-paths.js";
import { readAllowedOrigins } from "../../../../lib/server/index.js";
import { request } from "../../../support/http.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../../support/services.js";

const APP = "http://app.example.test:3000";
const OTHER = "http://evil.example.test";

/** A preflight as Chromium sends it before a call it may not make without asking. */
function preflight(baseUrl: string, path: string, method: string, origin = APP, headers = "content-type") {
  return request(baseUrl, "OPTIONS", path, {
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

describe("CORS_ALLOWED_ORIGINS", () => {
  const table: Array<[string | undefined, "*" | string[]]> = [
    [undefined, []],
    ["", []],
    ["*", "*"],
    [APP, [APP]],
    [` ${APP} , https://admin.example.test `, [APP, "https://admin.example.test"]],
  ];
  for (const [value, expected] of table) {
    it(`${JSON.stringify(value)} allows ${expected === "*" ? "every origin" : expected.length ? expected.join(" and ") : "no origin"}`, () => {
      const origins = readAllowedOrigins(value === undefined ? {} : { CORS_ALLOWED_ORIGINS: value });
      assert.deepEqual(origins === "*" ? "*" : [...origins], expected);
    });
  }
  for (const [value, why] of [
    ["https://app.example.test/", /the origin would be https:\/\/app\.example\.test/],
    ["app.example.test", /"app\.example\.test" is not one/],
    [`*,${APP}`, /\* stands alone/],
  ] as const) {
    it(`refuses ${JSON.stringify(value)}, naming it`, () => {
      assert.throws(
        () => readAllowedOrigins({ CORS_ALLOWED_ORIGINS: value }),
        (e: unknown) => e instanceof ConfigError && why.test(e.message),
      );
    });
  }
});

describe("CORS on both services", function () {
  this.timeout(60_000);
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  let closed: TestChillybin;
  let anyOrigin: TestChillybin;
  let connectOnly: TestChillybin;

  before(async () => {
    chillybin = await startChillybin({ corsAllowedOrigins: new Set([APP]) });
    jafflr = await startJafflr({ chillybinUrl: chillybin.server.url, corsAllowedOrigins: new Set([APP]) });
    closed = await startChillybin();
    anyOrigin = await startChillybin({ corsAllowedOrigins: "*" });
    connectOnly = await startChillybin({ corsAllowedOrigins: new Set([APP]), directPaths: NO_DIRECT_PATHS });
  });
  after(async () => {
    await jafflr?.stop();
    for (const server of [chillybin, closed, anyOrigin, connectOnly]) await server?.stop();
  });

  describe("a preflight from an allowed origin", () => {
    const paths: Array<[string, () => string, string, string]> = [
      ["a unary RPC (Connect, gRPC-Web)", () => chillybin.server.url, "/chillybin.v2.ChillybinService/PickOrder", "POST"],
      ["Connect GET of a side-effect-free RPC", () => chillybin.server.url, "/chillybin.v1.ChillybinService/GetStock", "GET"],
      ["a server stream", () => chillybin.server.url, "/grpc.health.v1.Health/Watch", "POST"],
      ["a REST route", () => chillybin.server.url, "/pick", "POST"],
      ["a REST route of two methods", () => chillybin.server.url, "/pick", "GET"],
      ["the REST root", () => chillybin.server.url, "/", "GET"],
      ["jafflr's RPC", () => jafflr.server.url, "/jafflr.v1.JafflrService/MakeToastie", "POST"],
      ["jafflr's REST route", () => jafflr.server.url, "/toastie", "POST"],
      ["/health", () => jafflr.server.url, "/health", "GET"],
      ["/openapi.json", () => chillybin.server.url, "/openapi.json", "GET"],
    ];
    for (const [what, url, path, method] of paths) {
      it(`${what} (${method} ${path}): 204 naming the method, the protocols' headers and the services'`, async () => {
        const answer = await preflight(url(), path, method, APP, "content-type, connect-protocol-version, x-grpc-web, idempotency-key");
        assert.equal(answer.status, 204, answer.text);
        assert.equal(answer.headers["access-control-allow-origin"], APP);
        assert.ok(String(answer.headers["access-control-allow-methods"]).split(", ").includes(method), String(answer.headers["access-control-allow-methods"]));
        const allowed = String(answer.headers["access-control-allow-headers"]).split(", ");
        for (const header of [...cors.allowedHeaders.map((h) => h.toLowerCase()), "authorization", "idempotency-key", "x-request-id", "traceparent"])
          assert.ok(allowed.includes(header), `${header} may be sent`);
        assert.equal(answer.headers["access-control-max-age"], "7200");
        assert.match(String(answer.headers.vary), /Origin/);
      });
    }
  });

  const refused: Array<[string, () => Promise<Awaited<ReturnType<typeof preflight>>>, number, RegExp]> = [
    ["from an origin not allowed", () => preflight(chillybin.server.url, "/pick", "POST", OTHER), 403, /origin http:\/\/evil\.example\.test may not call/],
    ["to a server that allows none", () => preflight(closed.server.url, "/pick", "POST"), 403, /CORS_ALLOWED_ORIGINS/],
    ["for a path nobody serves", () => preflight(chillybin.server.url, "/nope", "POST"), 404, /nothing is served at \/nope/],
    [
      "for a method the path does not take",
      () => preflight(chillybin.server.url, "/pick", "DELETE"),
      405,
      /DELETE is not allowed on \/pick; allowed: GET, POST/,
    ],
  ];
  for (const [what, send, status, why] of refused) {
    it(`a preflight ${what}: ${status}, saying why`, async () => {
      const answer = await send();
      assert.equal(answer.status, status);
      assert.match(answer.text, why);
      if (status === 403) assert.equal(answer.headers["access-control-allow-origin"], undefined);
    });
  }

  describe("answers a page may read", () => {
    const exposed = [...cors.exposedHeaders.map((h) => h.toLowerCase()), "x-request-id", "x-service-version", "retry-after"];
    const calls: Array<[string, () => string, string, string, Record<string, string>, string | Uint8Array, number]> = [
      ["Connect JSON", () => chillybin.server.url, "POST", "/chillybin.v1.ChillybinService/GetStock", { "content-type": "application/json" }, "{}", 200],
      [
        "Connect JSON, through Connect's own handler",
        () => connectOnly.server.url,
        "POST",
        "/chillybin.v1.ChillybinService/GetStock",
        { "content-type": "application/json" },
        "{}",
        200,
      ],
      [
        "gRPC-Web",
        () => chillybin.server.url,
        "POST",
        "/chillybin.v1.ChillybinService/GetStock",
        { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        new Uint8Array(5),
        200,
      ],
      [
        "gRPC-Web, through Connect's own handler",
        () => connectOnly.server.url,
        "POST",
        "/chillybin.v1.ChillybinService/GetStock",
        { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        new Uint8Array(5),
        200,
      ],
      ["REST", () => jafflr.server.url, "GET", "/health", {}, "", 200],
      [
        "a refusal: a REST body out of range",
        () => chillybin.server.url,
        "POST",
        "/pick",
        { "content-type": "application/json" },
        '{"name":"cheese","quantity":0}',
        400,
      ],
      ["a refusal: a path with no route", () => chillybin.server.url, "GET", "/nope", {}, "", 404],
      [
        "a refusal: a body over the limit",
        () => chillybin.server.url,
        "POST",
        "/pick",
        { "content-type": "application/json" },
        "x".repeat(2 * 1024 * 1024),
        413,
      ],
    ];
    for (const [what, url, method, path, headers, body, status] of calls) {
      it(`${what}: ${status}, readable by the allowed origin with the headers it needs, by no other`, async () => {
        const send = (origin: string) => request(url(), method, path, { headers: { ...headers, origin }, body: body === "" ? undefined : body });
        const allowed = await send(APP);
        assert.equal(allowed.status, status, allowed.text);
        assert.equal(allowed.headers["access-control-allow-origin"], APP);
        assert.deepEqual(
          String(allowed.headers["access-control-expose-headers"])
            .split(", ")
            .filter((h) => exposed.includes(h))
            .sort(),
          [...exposed].sort(),
        );
        assert.match(String(allowed.headers.vary), /Origin/);
        const other = await send(OTHER);
        assert.equal(other.status, status);
        assert.equal(other.headers["access-control-allow-origin"], undefined);
      });
    }

    it('with "*", any origin may read, and the answer does not vary by it', async () => {
      const answer = await request(anyOrigin.server.url, "GET", "/", { headers: { origin: OTHER } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers["access-control-allow-origin"], "*");
      assert.equal(answer.headers.vary, undefined);
    });

    it("a call without Origin (curl, a server) gets no CORS headers", async () => {
      const answer = await request(chillybin.server.url, "GET", "/");
      assert.equal(answer.status, 200);
      assert.equal(answer.headers["access-control-allow-origin"], undefined);
      assert.equal(answer.headers["access-control-expose-headers"], undefined);
    });
  });
});
