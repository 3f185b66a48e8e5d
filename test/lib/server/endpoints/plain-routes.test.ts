// Plain-HTTP routes beside the RPCs: /health, /metrics and what a service adds
// (serve()'s plainRoutes), matched by path and method before REST.
import assert from "node:assert/strict";
import { silentLogger } from "../../../../lib/logger.js";
import { type RunningServer, serve } from "../../../../lib/server/index.js";
import { matchPlainRoute, type PlainRoute } from "../../../../lib/server/endpoints/plain-routes.js";
import { request } from "../../../support/http.js";

describe("plain-HTTP routes", () => {
  const routes: PlainRoute[] = [
    { path: "/a", methods: ["GET", "HEAD"], handle: () => {} },
    { path: "/b", methods: ["POST"], handle: () => {} },
  ];
  const table: Array<{ path: string; method: string | undefined; matches: string | undefined }> = [
    { path: "/a", method: "GET", matches: "/a" },
    { path: "/a", method: "HEAD", matches: "/a" },
    { path: "/a", method: "POST", matches: undefined },
    { path: "/b", method: "POST", matches: "/b" },
    { path: "/a/", method: "GET", matches: undefined },
    { path: "/c", method: "GET", matches: undefined },
    { path: "/a", method: undefined, matches: undefined },
  ];
  for (const t of table) {
    it(`${t.method} ${t.path} → ${t.matches ?? "no route (REST decides)"}`, () => {
      assert.equal(matchPlainRoute(routes, t.path, t.method)?.path, t.matches);
    });
  }

  describe("in a server", () => {
    let server: RunningServer;
    before(async () => {
      server = await serve({
        routes: () => {},
        port: 0,
        version: "plain-routes-test",
        logger: silentLogger(),
        plainRoutes: [{ path: "/hello", methods: ["GET"], handle: (_req, res) => res.end("hi") }],
      });
    });
    after(() => server.close());

    const answers: Array<{ method: string; path: string; status: number; body?: RegExp }> = [
      { method: "GET", path: "/hello", status: 200, body: /^hi$/ },
      { method: "POST", path: "/hello", status: 404, body: /"code":"not_found"/ },
      { method: "GET", path: "/health", status: 200, body: /"status":"SERVING","version":"plain-routes-test"/ },
      { method: "HEAD", path: "/health", status: 200, body: /^$/ },
      { method: "GET", path: "/metrics", status: 200, body: /^# HELP /m },
    ];
    for (const a of answers) {
      it(`${a.method} ${a.path}: ${a.status}`, async () => {
        const res = await request(server.url, a.method, a.path);
        assert.equal(res.status, a.status);
        if (a.body) assert.match(res.text, a.body);
      });
    }
  });
});
