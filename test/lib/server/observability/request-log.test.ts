// observeRequests: every request gets an id (the caller's, when it is a
// sensible one), one access log line when its response is done, and its
// metrics; what reached an RPC is labelled with it.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { ServerMetrics } from "../../../../lib/server/observability/metrics.js";
import { currentRequestId } from "../../../../lib/request-id.js";
import { codeOfStatus, observeRequests, recordOf } from "../../../../lib/server/observability/request-log.js";
import { request } from "../../../support/http.js";

interface Line {
  requestId: string;
  httpMethod: string;
  path: string;
  protocol: string;
  rpc?: string;
  code?: string;
  status: number;
  durationMs: number;
  msg: string;
}

describe("observeRequests: request ids, access lines and metrics", () => {
  const lines: Line[] = [];
  const metrics = new ServerMetrics("log-test");
  let seenId: string | undefined;
  let server: http.Server;
  let url: string;
  before(async () => {
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line) as Line) });
    server = http.createServer(
      observeRequests(logger, metrics, (req, res) => {
        seenId = currentRequestId();
        // What the RPC layer notes for a call that reached an RPC (recordOutcome).
        if (req.url === "/pkg.Svc/Get") Object.assign(recordOf(req), { rpc: "pkg.Svc/Get", code: "not_found" });
        res.statusCode = req.url === "/missing" ? 404 : 200;
        res.end("done");
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (lines.length = 0));

  /** The access line for the last request (written when its response closed). */
  async function lineAfter(res: { headers: http.IncomingHttpHeaders }): Promise<Line> {
    for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.requestId, res.headers["x-request-id"]);
    return lines[0]!;
  }

  const table: Array<{ case: string; path: string; headers?: Record<string, string>; line: Partial<Line>; sameId?: string; metric: RegExp }> = [
    {
      case: "plain HTTP: a new id, the status's code name (never a bare HTTP number)",
      path: "/missing",
      line: { httpMethod: "GET", path: "/missing", protocol: "http", code: "not_found", status: 404 },
      metric: /^rpc_requests_total\{service="none",method="none",protocol="http",code="not_found",version="log-test"\} 1$/m,
    },
    {
      case: "the caller's x-request-id, kept and echoed",
      path: "/health",
      headers: { "x-request-id": "abc-123" },
      sameId: "abc-123",
      line: { path: "/health", code: "ok", status: 200 },
      metric: /^rpc_requests_total\{service="none",method="none",protocol="http",code="ok",version="log-test"\} 1$/m,
    },
    {
      case: "an RPC: its name and code, the protocol from the content type",
      path: "/pkg.Svc/Get",
      headers: { "content-type": "application/json" },
      line: { protocol: "connect", rpc: "pkg.Svc/Get", code: "not_found", status: 200 },
      metric: /^rpc_requests_total\{service="pkg.Svc",method="Get",protocol="connect",code="not_found",version="log-test"\} 1$/m,
    },
  ];
  for (const t of table) {
    it(t.case, async () => {
      const res = await request(url, "GET", t.path, { headers: t.headers });
      const line = await lineAfter(res);
      assert.equal(line.msg, "request");
      for (const [key, value] of Object.entries(t.line)) assert.deepEqual(line[key as keyof Line], value, key);
      assert.ok(line.durationMs >= 0);
      if (t.sameId) assert.equal(res.headers["x-request-id"], t.sameId);
      else assert.match(String(res.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
      assert.equal(seenId, res.headers["x-request-id"], "the handler runs with the request's id");
      assert.match(await metrics.registry.metrics(), t.metric);
    });
  }

  const statuses: Array<[number, string]> = [
    [200, "ok"],
    [304, "ok"],
    [400, "invalid_argument"],
    [401, "unauthenticated"],
    [404, "not_found"],
    [405, "unimplemented"],
    [413, "resource_exhausted"],
    [429, "resource_exhausted"],
    [418, "invalid_argument"],
    [500, "internal"],
    [503, "unavailable"],
    [504, "deadline_exceeded"],
  ];
  for (const [status, code] of statuses) {
    it(`HTTP ${status} with no code recorded → ${code}`, () => assert.equal(codeOfStatus(status), code));
  }

  it("an id that is not a sensible one is replaced", async () => {
    const res = await request(url, "GET", "/health", { headers: { "x-request-id": "a b<script>" } });
    assert.match(String(res.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    await lineAfter(res);
  });

  it("nothing is left in flight", async () => {
    assert.match(await metrics.registry.metrics(), /^rpc_requests_in_flight 0$/m);
  });
});
