import assert from "node:assert/strict";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { LibraryService } from "../../gen/transcoding/testing/v1/library_pb.js";
import { MakeToastieRequestSchema } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { JafflrService } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { BindingError, bindRequest, RouteTable, routesOf } from "../../../lib/transcoding/index.js";

const library = new RouteTable(routesOf([LibraryService]));
const jafflr = new RouteTable(routesOf([JafflrService]));

/** Binds a request the way the REST handler does and answers the message as proto3 JSON. */
function bind(table: RouteTable, method: string, pathAndQuery: string, body?: JsonValue): JsonValue {
  const url = new URL(pathAndQuery, "http://x");
  const found = table.lookup(method, url.pathname);
  if (found.kind !== "found") throw new Error(`no route: ${found.kind}`);
  return toJson(found.route.rpc.input, bindRequest(found.route, found.bindings, url.searchParams, body));
}

describe("transcoding: request binding", () => {
  const bound: Array<{ case: string; method?: string; url: string; body?: JsonValue; expected: JsonValue; table?: RouteTable }> = [
    { case: "a string", url: "/v1/search?query=dune", expected: { query: "dune" } },
    { case: "form-encoded spaces and escapes", url: "/v1/search?query=dune+messiah%21", expected: { query: "dune messiah!" } },
    { case: "int32 by proto name", url: "/v1/search?page_size=20", expected: { pageSize: 20 } },
    { case: "int32 by JSON name", url: "/v1/search?pageSize=20", expected: { pageSize: 20 } },
    { case: "a custom json_name", url: "/v1/search?dn=Ada", expected: { dn: "Ada" } },
    { case: "int64 beyond 2^53", url: "/v1/search?offset=9007199254740993", expected: { offset: "9007199254740993" } },
    { case: "uint32 at its maximum", url: "/v1/search?limit=4294967295", expected: { limit: 4294967295 } },
    { case: "bool true", url: "/v1/search?include_drafts=true", expected: { includeDrafts: true } },
    { case: "bool 0", url: "/v1/search?include_drafts=0", expected: {} },
    { case: "double", url: "/v1/search?min_rating=4.5", expected: { minRating: 4.5 } },
    { case: "double NaN", url: "/v1/search?min_rating=NaN", expected: { minRating: "NaN" } },
    { case: "enum by full name", url: "/v1/search?genre=GENRE_POETRY", expected: { genre: "GENRE_POETRY" } },
    { case: "enum by number", url: "/v1/search?genre=1", expected: { genre: "GENRE_SCIENCE_FICTION" } },
    { case: "enum by short name, any case, - for _", url: "/v1/search?genre=Science-Fiction", expected: { genre: "GENRE_SCIENCE_FICTION" } },
    { case: "repeated strings in order", url: "/v1/search?tags=a&tags=b&tags=a", expected: { tags: ["a", "b", "a"] } },
    { case: "nested field", url: "/v1/search?filter.author=Le+Guin", expected: { filter: { author: "Le Guin" } } },
    {
      case: "nested repeated enum",
      url: "/v1/search?filter.genres=poetry&filter.genres=2",
      expected: { filter: { genres: ["GENRE_POETRY", "GENRE_POETRY"] } },
    },
    { case: "Timestamp", url: "/v1/search?published_after=2024-01-02T03:04:05Z", expected: { publishedAfter: "2024-01-02T03:04:05Z" } },
    { case: "Duration", url: "/v1/search?max_duration=1.5s", expected: { maxDuration: "1.500s" } },
    { case: "Int32Value wrapper", url: "/v1/search?min_pages=100", expected: { minPages: 100 } },
    { case: "BoolValue wrapper false is still set", url: "/v1/search?in_print=false", expected: { inPrint: false } },
    { case: "bytes as base64", url: "/v1/search?token=aGk%3D", expected: { token: "aGk=" } },
    { case: "path variables", method: "GET", url: "/v1/shelves/s%201/books/b2", expected: { shelf: "s 1", book: "b2" } },
    { case: "multi-segment variable keeps %2F", method: "GET", url: "/v1/racks/r/books/a%2Fb", expected: { name: "racks/r/books/a%2Fb" } },
    {
      case: "nested path variables with body *",
      method: "PATCH",
      url: "/v1/shelves/s1/books/b2",
      body: { book: { title: "Dune" }, updateMask: "title" },
      expected: { book: { shelf: "s1", id: "b2", title: "Dune" }, updateMask: "title" },
    },
    {
      case: "the path wins over the body *",
      method: "PATCH",
      url: "/v1/shelves/s1/books/b2",
      body: { book: { id: "other" } },
      expected: { book: { shelf: "s1", id: "b2" } },
    },
    {
      case: "body: field, rest from path",
      method: "POST",
      url: "/v1/shelves/s1/books",
      body: { title: "Dune", pages: 412 },
      expected: { shelf: "s1", book: { title: "Dune", pages: 412 } },
    },
    { case: "body * with a verb", method: "POST", url: "/v1/loans/l1:cancel", body: { reason: "late" }, expected: { loan: "l1", reason: "late" } },
    { case: "body: a string field", method: "PUT", url: "/v1/files/a/b", body: "hello", expected: { path: "a/b", content: "hello" } },
    {
      case: "no body on a POST rule without body",
      method: "POST",
      url: "/toastie?i=cheese&i=vegemite&doneness=medium&customer=gita",
      expected: { i: ["cheese", "vegemite"], doneness: "DONENESS_MEDIUM", customer: "gita" },
      table: jafflr,
    },
    {
      case: "the descriptive name works in the query too",
      url: "/toastie?ingredients=cheese&doneness=well-done",
      expected: { ingredients: ["cheese"], doneness: "DONENESS_WELL_DONE" },
      table: jafflr,
    },
  ];
  for (const b of bound) {
    it(`binds ${b.case}`, () => {
      assert.deepEqual(bind(b.table ?? library, b.method ?? "GET", b.url, b.body), b.expected);
    });
  }

  const refused: Array<{ case: string; method?: string; url: string; body?: JsonValue; error: RegExp; table?: RouteTable }> = [
    {
      case: "an unknown parameter",
      url: "/v1/search?qeury=x",
      error: /unknown query parameter "qeury": transcoding.testing.v1.SearchRequest has no field "qeury"/,
    },
    { case: "a parameter past a scalar", url: "/v1/search?query.x=1", error: /unknown query parameter "query.x": "query" is not a message/ },
    { case: "a non-integer", url: "/v1/search?page_size=ten", error: /query parameter "page_size" \(page_size\): "ten" is not a whole number/ },
    {
      case: "int32 overflow",
      url: "/v1/search?page_size=2147483648",
      error: /^query parameter "page_size" \(page_size\): 2147483648 is out of range for int32 \(-2147483648 to 2147483647\)$/,
    },
    { case: "negative uint32", url: "/v1/search?limit=-1", error: /^query parameter "limit" \(limit\): -1 is out of range for uint32 \(0 to 4294967295\)$/ },
    { case: "a fraction for an integer", url: "/v1/search?page_size=1.5", error: /"1.5" is not a whole number/ },
    { case: "a bad bool", url: "/v1/search?include_drafts=yes", error: /"yes" is not a bool/ },
    { case: "a bad double", url: "/v1/search?min_rating=high", error: /"high" is not a number/ },
    { case: "an unknown enum name", url: "/v1/search?genre=cookbook", error: /"cookbook" is not a Genre; one of unspecified, science-fiction, poetry/ },
    {
      case: "an enum number past int32",
      url: "/v1/search?genre=4294967296",
      error: /^query parameter "genre" \(genre\): 4294967296 is out of range for the enum Genre, an int32 \(-2147483648 to 2147483647\)$/,
    },
    { case: "a bad timestamp", url: "/v1/search?published_after=yesterday", error: /published_after|publishedAfter/ },
    { case: "a singular field given twice", url: "/v1/search?query=a&query=b", error: /"query" is given 2 times but query takes one value/ },
    { case: "a map field", url: "/v1/search?labels=x", error: /map fields cannot be set from the query/ },
    { case: "a message given one value", url: "/v1/search?filter=x", error: /Filter cannot be set from one query value/ },
    {
      case: "a query parameter the path binds",
      method: "GET",
      url: "/v1/shelves/s1/books/b2?shelf=s9",
      error: /query parameter "shelf" sets a field that the path sets/,
    },
    {
      case: "any query parameter with body *",
      method: "POST",
      url: "/v1/loans/l1:cancel?reason=x",
      body: {},
      error: /query parameter "reason" sets a field that the request body sets/,
    },
    {
      case: "a body on a rule without one",
      method: "POST",
      url: "/toastie?i=cheese",
      body: { i: ["cheese"] },
      error: /POST \/toastie takes no request body/,
      table: jafflr,
    },
    { case: "an unknown body field", method: "POST", url: "/v1/loans/l1:cancel", body: { reson: "x" }, error: /key "reson" is unknown/ },
    { case: "a malformed body value", method: "POST", url: "/v1/shelves/s1/books", body: { pages: "many" }, error: /pages/ },
    {
      case: "a body that is not an object for *",
      method: "POST",
      url: "/v1/loans/l1:cancel",
      body: [1],
      error: /^the request body must be a JSON object \(transcoding\.testing\.v1\.CancelLoanRequest\), not an array$/,
    },
    { case: "null for *", method: "POST", url: "/v1/loans/l1:cancel", body: null, error: /, not null$/ },
    { case: "a number for *", method: "POST", url: "/v1/loans/l1:cancel", body: 3, error: /, not a number \(3\)$/ },
  ];
  for (const r of refused) {
    it(`refuses ${r.case}, naming the field`, () => {
      assert.throws(
        () => bind(r.table ?? library, r.method ?? "GET", r.url, r.body),
        (e: unknown) => e instanceof BindingError && r.error.test(e.message),
      );
    });
  }

  it("keeps the descriptive field for Connect clients and i for REST", () => {
    const names = MakeToastieRequestSchema.fields.map((f) => [f.name, f.jsonName, f.deprecated]);
    assert.deepEqual(names, [
      ["ingredients", "ingredients", false],
      ["doneness", "doneness", false],
      ["customer", "customer", false],
      ["i", "i", true],
    ]);
  });
});
