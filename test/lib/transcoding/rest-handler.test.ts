import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { BookSchema, LibraryService, PutFileResponseSchema } from "../../gen/transcoding/testing/v1/library_pb.js";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { silentLogger } from "../../../lib/logger.js";
import { serve, type RunningServer } from "../../../lib/server/index.js";
import { request } from "../../support/http.js";

/** A test implementation that echoes what it was given, and fails on demand. */
function libraryRoutes(router: ConnectRouter): void {
  router.service(LibraryService, {
    getBook(req, ctx) {
      if (req.shelf.startsWith("code-")) {
        const code = Number(req.shelf.slice(5)) as Code;
        throw new ConnectError(`failing with ${Code[code]}`, code, undefined, [{ desc: BookSchema, value: { title: "detail" } }]);
      }
      ctx.responseHeader.set("x-echo", ctx.requestHeader.get("x-caller") ?? "none");
      return create(BookSchema, { shelf: req.shelf, id: req.book || req.name, title: "Dune" });
    },
    createBook: (req) => create(BookSchema, { shelf: req.shelf, title: req.book?.title, pages: req.book?.pages }),
    updateBook: (req) =>
      create(BookSchema, { shelf: req.book?.shelf, id: req.book?.id, title: `${req.book?.title ?? ""} (${req.updateMask?.paths.join(",") ?? ""})` }),
    deleteBook: () => ({}),
    cancelLoan: () => ({}),
    putFile: (req) => create(PutFileResponseSchema, { path: req.path, size: req.content.length }),
    getFileIndex: () => create(PutFileResponseSchema, { path: "index", size: 0 }),
    getFile: (req) => create(PutFileResponseSchema, { path: req.path, size: 0 }),
    search: (req) => req,
  });
}

describe("transcoding: REST over real HTTP", () => {
  let server: RunningServer;
  before(async () => {
    server = await serve({ routes: libraryRoutes, port: 0, version: "t", logger: silentLogger(), maxBodyBytes: 1024 });
  });
  after(() => server.close());

  const table: Array<{
    case: string;
    method: string;
    path: string;
    body?: string | Uint8Array;
    headers?: Record<string, string>;
    status: number;
    json?: unknown;
    header?: [string, string];
  }> = [
    { case: "GET with path variables", method: "GET", path: "/v1/shelves/s1/books/b2", status: 200, json: { shelf: "s1", id: "b2", title: "Dune", pages: 0 } },
    {
      case: "request headers reach the handler, response headers come back",
      method: "GET",
      path: "/v1/shelves/s1/books/b2",
      headers: { "x-caller": "gita" },
      status: 200,
      header: ["x-echo", "gita"],
    },
    {
      case: "POST with body: field",
      method: "POST",
      path: "/v1/shelves/s1/books",
      body: '{"title":"Emma","pages":3}',
      headers: { "content-type": "application/json" },
      status: 200,
      json: { shelf: "s1", id: "", title: "Emma", pages: 3 },
    },
    {
      case: "PATCH with body * and a FieldMask",
      method: "PATCH",
      path: "/v1/shelves/s1/books/b2",
      body: '{"book":{"title":"Emma"},"updateMask":"title,pages"}',
      headers: { "content-type": "application/json; charset=utf-8" },
      status: 200,
      json: { shelf: "s1", id: "b2", title: "Emma (title,pages)", pages: 0 },
    },
    { case: "a verb", method: "POST", path: "/v1/loans/l1:cancel", body: "{}", status: 200, json: {} },
    {
      case: "PUT ** with response_body",
      method: "PUT",
      path: "/v1/files/a/b%2Fc.txt",
      body: '"hello"',
      headers: { "content-type": "application/json" },
      status: 200,
      json: "a/b%2Fc.txt",
    },
    { case: "a literal beats **", method: "GET", path: "/v1/files/index", status: 200, json: { path: "index", size: 0 } },
    { case: "a custom method", method: "QUERY", path: "/v1/search?query=x&genre=poetry", status: 200, json: { query: "x", genre: "GENRE_POETRY" } },
    { case: "unknown path → 404", method: "GET", path: "/v1/nothing", status: 404, json: { code: "not_found", message: "no route for GET /v1/nothing" } },
    { case: "wrong method → 405 with Allow", method: "POST", path: "/v1/shelves/s1/books/b2", status: 405, header: ["allow", "DELETE, GET, PATCH"] },
    {
      case: "bad query value → 400 naming it",
      method: "QUERY",
      path: "/v1/search?page_size=x",
      status: 400,
      json: { code: "invalid_argument", message: 'query parameter "page_size" (page_size): "x" is not a whole number' },
    },
    { case: "malformed JSON → 400", method: "POST", path: "/v1/loans/l1:cancel", body: "{nope", headers: { "content-type": "application/json" }, status: 400 },
    {
      case: "a non-JSON body → 415",
      method: "POST",
      path: "/v1/loans/l1:cancel",
      body: "reason=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      status: 415,
    },
    {
      case: "a compressed body → 415 saying so, and what is taken",
      method: "POST",
      path: "/v1/loans/l1:cancel",
      body: gzipSync("{}"),
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      status: 415,
      json: { code: "invalid_argument", message: "a request body must not be compressed (content-encoding: gzip): send it as plain JSON" },
      header: ["accept-encoding", "identity"],
    },
    {
      case: "a body over the limit → 413",
      method: "POST",
      path: "/v1/loans/l1:cancel",
      body: JSON.stringify({ reason: "x".repeat(2000) }),
      headers: { "content-type": "application/json" },
      status: 413,
    },
    { case: "an empty path segment → 400", method: "GET", path: "/v1/shelves//books/b", status: 400 },
  ];
  for (const t of table) {
    it(`${t.case}`, async () => {
      const res = await request(server.url, t.method, t.path, { body: t.body, headers: t.headers });
      assert.equal(res.status, t.status, res.text);
      if (t.json !== undefined) {
        if (t.status === 200 && typeof t.json === "object" && t.json !== null) assert.deepEqual(pick(res.json, Object.keys(t.json)), t.json);
        else assert.deepEqual(res.json, t.json);
      }
      if (t.header) assert.equal(res.headers[t.header[0]], t.header[1]);
      if (t.status !== 200) assert.equal(typeof (res.json as { message?: unknown }).message, "string");
    });
  }

  const codes: Array<[Code, number]> = [
    [Code.Canceled, 499],
    [Code.Unknown, 500],
    [Code.InvalidArgument, 400],
    [Code.DeadlineExceeded, 504],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.PermissionDenied, 403],
    [Code.ResourceExhausted, 429],
    [Code.FailedPrecondition, 400],
    [Code.Aborted, 409],
    [Code.OutOfRange, 400],
    [Code.Unimplemented, 501],
    [Code.Internal, 500],
    [Code.Unavailable, 503],
    [Code.DataLoss, 500],
    [Code.Unauthenticated, 401],
  ];
  for (const [code, status] of codes) {
    it(`maps ${Code[code]} to HTTP ${status}, with code, message and details`, async () => {
      const res = await request(server.url, "GET", `/v1/shelves/code-${code}/books/b`);
      assert.equal(res.status, status);
      const body = res.json as { code: string; message: string; details: Array<{ type: string; value: string }> };
      assert.equal(body.message, `failing with ${Code[code]}`);
      assert.equal(body.code, codeToString(code));
      assert.equal(body.details[0]?.type, "transcoding.testing.v1.Book");
    });
  }
});

function pick(json: unknown, keys: string[]): unknown {
  const object = json as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, object[k]]));
}
