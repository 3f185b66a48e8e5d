import assert from "node:assert/strict";
import { compareSpecificity, matchPath, parsePathTemplate, PathError, splitRequestPath } from "../../../lib/transcoding/index.js";

function match(template: string, path: string): Record<string, string> | undefined {
  const bindings = matchPath(parsePathTemplate(template), splitRequestPath(path));
  return bindings && Object.fromEntries(bindings);
}

describe("transcoding: path matching", () => {
  const table: Array<{ template: string; path: string; expected: Record<string, string> | undefined }> = [
    { template: "/", path: "/", expected: {} },
    { template: "/", path: "/pick", expected: undefined },
    { template: "/pick", path: "/pick", expected: {} },
    { template: "/pick", path: "/pick/extra", expected: undefined },
    { template: "/pick", path: "/Pick", expected: undefined },
    { template: "/v1/shelves/{shelf}", path: "/v1/shelves/s1", expected: { shelf: "s1" } },
    { template: "/v1/shelves/{shelf}", path: "/v1/shelves", expected: undefined },
    { template: "/v1/shelves/{shelf}", path: "/v1/shelves/a/b", expected: undefined },
    { template: "/v1/shelves/{shelf}", path: "/v1/shelves/a%2Fb", expected: { shelf: "a/b" } },
    { template: "/v1/shelves/{shelf}", path: "/v1/shelves/caf%C3%A9%20au%20lait", expected: { shelf: "café au lait" } },
    { template: "/v1/{name=shelves/*}", path: "/v1/shelves/s1", expected: { name: "shelves/s1" } },
    { template: "/v1/{name=shelves/*}", path: "/v1/shelves/a%2Fb", expected: { name: "shelves/a%2Fb" } },
    { template: "/v1/{name=shelves/*}", path: "/v1/shelves/a%2fb%20c", expected: { name: "shelves/a%2Fb c" } },
    { template: "/v1/{name=shelves/*}", path: "/v1/racks/s1", expected: undefined },
    { template: "/v1/files/{path=**}", path: "/v1/files/a/b/c.txt", expected: { path: "a/b/c.txt" } },
    { template: "/v1/files/{path=**}", path: "/v1/files/a%2Fb/c", expected: { path: "a%2Fb/c" } },
    { template: "/v1/files/{path=**}", path: "/v1/files/one", expected: { path: "one" } },
    { template: "/v1/files/{path=**}", path: "/v1/files", expected: { path: "" } },
    { template: "/v1/files/**", path: "/v1/files/x/y", expected: {} },
    { template: "/v1/loans/{loan}:cancel", path: "/v1/loans/l7:cancel", expected: { loan: "l7" } },
    { template: "/v1/loans/{loan}:cancel", path: "/v1/loans/l7:renew", expected: undefined },
    { template: "/v1/loans/{loan}:cancel", path: "/v1/loans/l7", expected: undefined },
    { template: "/v1/loans/{loan}", path: "/v1/loans/l7:cancel", expected: { loan: "l7:cancel" } },
    { template: "/v1/{a.b}/x", path: "/v1/deep/x", expected: { "a.b": "deep" } },
    { template: "/v1/*/items", path: "/v1/anything/items", expected: {} },
    { template: "/v1/caf%C3%A9", path: "/v1/caf%c3%a9", expected: {} },
    { template: "/v1/shelves/{shelf}/books/{book}", path: "/v1/shelves/s/books/b", expected: { shelf: "s", book: "b" } },
  ];
  for (const t of table) {
    it(`${t.template} ${t.expected ? "matches" : "does not match"} ${t.path}`, () => {
      assert.deepEqual(match(t.template, t.path), t.expected);
    });
  }

  const badPaths: Array<[string, RegExp]> = [
    ["/v1//x", /empty segment/],
    ["/v1/x/", /empty segment/],
    ["v1", /must start with \//],
  ];
  for (const [path, reason] of badPaths) {
    it(`refuses the request path ${JSON.stringify(path)}`, () => {
      assert.throws(
        () => splitRequestPath(path),
        (e: unknown) => e instanceof PathError && reason.test(e.message),
      );
    });
  }

  it("refuses a capture that is not valid percent-encoding", () => {
    assert.throws(() => match("/v1/{x}", "/v1/%E0%A4%A"), PathError);
  });

  describe("specificity: the most specific template comes first", () => {
    const pairs: Array<[string, string]> = [
      ["/v1/files/index", "/v1/files/{path=**}"],
      ["/v1/files/{name}", "/v1/files/{path=**}"],
      ["/v1/shelves/special", "/v1/shelves/{shelf}"],
      ["/v1/a/{x}", "/v1/{x}/b"],
      ["/v1/x:cancel", "/v1/{name}"],
      ["/v1", "/v1/**"],
      ["/v1/x/{y}", "/v1/{x=**}"],
    ];
    for (const [specific, general] of pairs) {
      it(`${specific} before ${general}`, () => {
        const a = parsePathTemplate(specific);
        const b = parsePathTemplate(general);
        assert.ok(compareSpecificity(a, b) < 0);
        assert.ok(compareSpecificity(b, a) > 0);
      });
    }
  });
});
