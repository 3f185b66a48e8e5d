import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { HttpRuleSchema, type HttpRule } from "../../../gen/google/api/http_pb.js";
import { LibraryService } from "../../gen/transcoding/testing/v1/library_pb.js";
import { ChillybinService } from "../../../gen/chillybin/v1/chillybin_pb.js";
import { RouteError, RouteTable, routeOf, routesOf } from "../../../lib/transcoding/index.js";

const library = new RouteTable(routesOf([LibraryService]));
const rpc = (name: string) => LibraryService.methods.find((m) => m.name === name)!;

describe("transcoding: route table", () => {
  const lookups: Array<{ method: string; path: string; rpc?: string; bindings?: Record<string, string>; allow?: string[] }> = [
    { method: "GET", path: "/v1/shelves/s1/books/b2", rpc: "GetBook", bindings: { shelf: "s1", book: "b2" } },
    { method: "DELETE", path: "/v1/shelves/s1/books/b2", rpc: "DeleteBook", bindings: { shelf: "s1", book: "b2" } },
    { method: "POST", path: "/v1/shelves/s1/books", rpc: "CreateBook", bindings: { shelf: "s1" } },
    { method: "PATCH", path: "/v1/shelves/s1/books/b2", rpc: "UpdateBook", bindings: { "book.shelf": "s1", "book.id": "b2" } },
    { method: "POST", path: "/v1/loans/l9:cancel", rpc: "CancelLoan", bindings: { loan: "l9" } },
    { method: "PUT", path: "/v1/files/a/b.txt", rpc: "PutFile", bindings: { path: "a/b.txt" } },
    { method: "GET", path: "/v1/files/index", rpc: "GetFileIndex", bindings: {} },
    { method: "GET", path: "/v1/files/a/index", rpc: "GetFile", bindings: { path: "a/index" } },
    { method: "GET", path: "/v1/search", rpc: "Search", bindings: {} },
    { method: "QUERY", path: "/v1/search", rpc: "Search", bindings: {} },
    { method: "PUT", path: "/v1/shelves/s1/books/b2", allow: ["DELETE", "GET", "PATCH"] },
    { method: "GET", path: "/v1/loans/l9:cancel", allow: ["POST"] },
    { method: "POST", path: "/v1/files/index", allow: ["GET", "PUT"] },
    { method: "GET", path: "/v1/nothing" },
    { method: "GET", path: "/" },
    { method: "GET", path: "/v1/shelves/s1/books/b2/pages" },
  ];
  for (const t of lookups) {
    const outcome = t.rpc ? `${t.rpc}` : t.allow ? `405, Allow: ${t.allow.join(", ")}` : "404";
    it(`${t.method} ${t.path} → ${outcome}`, () => {
      const found = library.lookup(t.method, t.path);
      if (t.rpc) {
        assert.equal(found.kind, "found");
        if (found.kind !== "found") return;
        assert.equal(found.route.rpc.name, t.rpc);
        assert.deepEqual(Object.fromEntries(found.bindings), t.bindings);
      } else if (t.allow) assert.deepEqual(found, { kind: "method-not-allowed", allow: t.allow });
      else assert.deepEqual(found, { kind: "not-found" });
    });
  }

  it("an additional binding with a multi-segment variable routes to the same RPC", () => {
    const found = library.lookup("GET", "/v1/racks/r1/books/b%2F2");
    assert.equal(found.kind === "found" && found.route.rpc.name, "GetBook");
    assert.deepEqual(found.kind === "found" && Object.fromEntries(found.bindings), { name: "racks/r1/books/b%2F2" });
  });

  it("routes the products' REST paths", () => {
    const table = new RouteTable(routesOf([ChillybinService]));
    const expected: Array<[string, string, string]> = [
      ["GET", "/", "GetStock"],
      ["GET", "/pick", "Pick"],
      ["POST", "/pick", "Pick"],
      ["GET", "/restock", "Restock"],
      ["POST", "/restock", "Restock"],
    ];
    for (const [method, path, name] of expected) {
      const found = table.lookup(method, path);
      assert.equal(found.kind === "found" && found.route.rpc.name, name, `${method} ${path}`);
    }
    assert.deepEqual(table.lookup("DELETE", "/restock"), { kind: "method-not-allowed", allow: ["GET", "POST"] });
  });

  const rule = (init: Partial<Pick<HttpRule, "body" | "responseBody">> & { get?: string; post?: string }): HttpRule =>
    create(HttpRuleSchema, {
      pattern: init.get !== undefined ? { case: "get", value: init.get } : { case: "post", value: init.post ?? "" },
      body: init.body ?? "",
      responseBody: init.responseBody ?? "",
    });
  const badRules: Array<{ case: string; rpc: string; rule: HttpRule; error: RegExp }> = [
    { case: "an invalid template", rpc: "GetBook", rule: rule({ get: "/v1/{shelf" }), error: /GetBook: invalid path template "\/v1\/\{shelf": unclosed/ },
    {
      case: "a path variable naming no field",
      rpc: "GetBook",
      rule: rule({ get: "/v1/{shelff}" }),
      error: /path variable "shelff": .*GetBookRequest has no field "shelff"/,
    },
    {
      case: "a path variable on a message field",
      rpc: "CreateBook",
      rule: rule({ get: "/v1/{book}" }),
      error: /path variable "book" must be a singular scalar or enum field/,
    },
    { case: "a body naming no field", rpc: "CreateBook", rule: rule({ post: "/v1/x", body: "volume" }), error: /body "volume": .*has no field "volume"/ },
    {
      case: "a body field also bound by the path",
      rpc: "GetBook",
      rule: rule({ post: "/v1/{shelf}", body: "shelf" }),
      error: /body "shelf" is also bound by the path/,
    },
    {
      case: "a response_body naming no field",
      rpc: "GetBook",
      rule: rule({ get: "/v1/x", responseBody: "nope" }),
      error: /response_body "nope": transcoding.testing.v1.Book has no such field/,
    },
    { case: "a rule with no pattern", rpc: "GetBook", rule: create(HttpRuleSchema, {}), error: /has no pattern/ },
  ];
  for (const b of badRules) {
    it(`refuses ${b.case} at start-up`, () => {
      assert.throws(
        () => routeOf(rpc(b.rpc), b.rule),
        (e: unknown) => e instanceof RouteError && b.error.test(e.message),
      );
    });
  }

  it("refuses two routes that match the same requests, naming both", () => {
    const a = routeOf(rpc("GetBook"), rule({ get: "/v1/things/{shelf}" }));
    const b = routeOf(rpc("DeleteBook"), rule({ get: "/v1/things/{book}" }));
    assert.throws(
      () => new RouteTable([a, b]),
      /conflicting routes: GET \/v1\/things\/\{shelf\} \(transcoding.testing.v1.LibraryService.GetBook\) and GET \/v1\/things\/\{book\} \(transcoding.testing.v1.LibraryService.DeleteBook\)/,
    );
  });

  it("allows the same template under different methods", () => {
    const a = routeOf(rpc("GetBook"), rule({ get: "/v1/things/{shelf}" }));
    const b = routeOf(rpc("GetBook"), rule({ post: "/v1/things/{shelf}" }));
    assert.equal(new RouteTable([a, b]).routes.length, 2);
  });
});
