import assert from "node:assert/strict";
import { parsePathTemplate, TemplateError } from "../../../lib/transcoding/index.js";

/** A compact rendering of a parsed template: segments, variables, verb. */
function render(source: string): string {
  const t = parsePathTemplate(source);
  const segments = t.segments.map((s) => (s.kind === "literal" ? s.value : s.kind === "single" ? "*" : "**")).join("/");
  const variables = t.variables.map((v) => `${v.fieldPath.join(".")}[${v.start},${v.end})`).join(" ");
  return `/${segments}${t.verb === undefined ? "" : `:${t.verb}`}${variables ? ` ${variables}` : ""}`;
}

describe("transcoding: path template parsing", () => {
  const valid: Array<[string, string]> = [
    ["/", "/"],
    ["/pick", "/pick"],
    ["/v1/shelves", "/v1/shelves"],
    ["/v1/shelves/{shelf}", "/v1/shelves/* shelf[2,3)"],
    ["/v1/shelves/{shelf=*}", "/v1/shelves/* shelf[2,3)"],
    ["/v1/{name=shelves/*}", "/v1/shelves/* name[1,3)"],
    ["/v1/{name=shelves/*/books/*}", "/v1/shelves/*/books/* name[1,5)"],
    ["/v1/files/{path=**}", "/v1/files/** path[2,3)"],
    ["/v1/{a.b.c}", "/v1/* a.b.c[1,2)"],
    ["/v1/shelves/{shelf}/books/{book}", "/v1/shelves/*/books/* shelf[2,3) book[4,5)"],
    ["/v1/loans/{loan}:cancel", "/v1/loans/*:cancel loan[2,3)"],
    ["/v1/shelves:batchGet", "/v1/shelves:batchGet"],
    ["/v1/{name=projects/*}/things:undelete", "/v1/projects/*/things:undelete name[1,3)"],
    ["/v1/*/items", "/v1/*/items"],
    ["/v1/**", "/v1/**"],
    ["/v1/caf%C3%A9", "/v1/café"],
    ["/v1/a-b_c.d~e", "/v1/a-b_c.d~e"],
    ["/{x}", "/* x[0,1)"],
  ];
  for (const [source, expected] of valid) {
    it(`parses ${source}`, () => assert.equal(render(source), expected));
  }

  const invalid: Array<[string, RegExp]> = [
    ["", /must start with \//],
    ["pick", /must start with \//],
    ["/v1//shelves", /empty segment/],
    ["/v1/shelves/", /empty segment/],
    ["/v1/{shelf", /unclosed/],
    ["/v1/shelf}", /unbalanced }|stray brace/],
    ["/v1/{a={b}}", /nested/],
    ["/v1/{1abc}", /not a field path/],
    ["/v1/{a..b}", /not a field path/],
    ["/v1/{}", /not a field path/],
    ["/v1/{name=}", /empty pattern/],
    ["/v1/**/tail", /\*\* must be the last segment/],
    ["/v1/{a=**}/{b}", /\*\* must be the last segment/],
    ["/v1/{x}/{x}", /bound twice/],
    ["/v1/a b", /not a valid literal/],
    ["/v1/x:", /verb ":" must be a literal/],
    ["/v1/x:a/b", /not a valid literal/],
  ];
  for (const [source, reason] of invalid) {
    it(`refuses ${JSON.stringify(source)} with a clear message`, () => {
      assert.throws(
        () => parsePathTemplate(source),
        (e: unknown) => e instanceof TemplateError && e.message.startsWith(`invalid path template "${source}": `) && reason.test(e.message),
      );
    });
  }
});
