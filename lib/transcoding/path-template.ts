// Stage 1: parse a google.api.http path template (google/api/http.proto):
//
//   Template = "/" Segments [ Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;
//   Verb     = ":" LITERAL ;
//
// "/" alone (no segments) is accepted too: it is how the root path is written.

/** One path segment of a template. */
export type Segment =
  | { kind: "literal"; value: string }
  /** `*`: exactly one segment. */
  | { kind: "single" }
  /** `**`: zero or more segments; only last. */
  | { kind: "multi" };

/** A `{field.path=...}` capture over segments [start, end) of the template. */
export interface Variable {
  fieldPath: string[];
  start: number;
  end: number;
}

export interface PathTemplate {
  /** The template as written. */
  source: string;
  segments: Segment[];
  variables: Variable[];
  /** The custom verb after `:` in the last segment, if any. */
  verb?: string;
}

export class TemplateError extends Error {
  constructor(template: string, reason: string) {
    super(`invalid path template "${template}": ${reason}`);
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 3986 pchar without "/", "{", "}", "*" and ":" (the template's own syntax).
const LITERAL = /^(?:[A-Za-z0-9\-._~!$&'()+,;=@]|%[0-9A-Fa-f]{2})+$/;

export function parsePathTemplate(source: string): PathTemplate {
  const fail = (reason: string): never => {
    throw new TemplateError(source, reason);
  };
  if (!source.startsWith("/")) fail("must start with /");
  if (source === "/") return { source, segments: [], variables: [] };

  let body = source.slice(1);
  let verb: string | undefined;
  // The verb is a ":" after the last "/" that is outside any variable.
  const lastSlash = lastIndexOutsideBraces(body, "/");
  const colon = lastIndexOutsideBraces(body, ":");
  if (colon > lastSlash) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!LITERAL.test(verb)) fail(`the verb ":${verb}" must be a literal`);
  }

  const segments: Segment[] = [];
  const variables: Variable[] = [];
  for (const token of splitOutsideBraces(body, "/", fail)) {
    if (token.startsWith("{")) {
      if (!token.endsWith("}")) fail(`unclosed variable "${token}"`);
      const inner = token.slice(1, -1);
      const eq = inner.indexOf("=");
      const path = eq < 0 ? inner : inner.slice(0, eq);
      const fieldPath = path.split(".");
      if (fieldPath.some((p) => !IDENT.test(p))) fail(`"${path}" is not a field path`);
      if (variables.some((v) => v.fieldPath.join(".") === path)) fail(`the field "${path}" is bound twice`);
      const start = segments.length;
      const pattern = eq < 0 ? "*" : inner.slice(eq + 1);
      if (pattern === "") fail(`the variable "${path}" has an empty pattern`);
      for (const part of pattern.split("/")) {
        if (part.includes("{") || part.includes("}")) fail("variables cannot be nested");
        segments.push(parseSegment(part, fail));
      }
      variables.push({ fieldPath, start, end: segments.length });
    } else {
      if (token.includes("{") || token.includes("}")) fail(`stray brace in "${token}"`);
      segments.push(parseSegment(token, fail));
    }
  }
  const multi = segments.findIndex((s) => s.kind === "multi");
  if (multi >= 0 && multi !== segments.length - 1) fail("** must be the last segment");
  return verb === undefined ? { source, segments, variables } : { source, segments, variables, verb };
}

function parseSegment(token: string, fail: (reason: string) => never): Segment {
  if (token === "*") return { kind: "single" };
  if (token === "**") return { kind: "multi" };
  if (token === "") return fail("empty segment (a doubled or trailing /)");
  if (!LITERAL.test(token)) return fail(`"${token}" is not a valid literal segment`);
  return { kind: "literal", value: decodeURIComponent(token) };
}

function lastIndexOutsideBraces(text: string, char: string): number {
  let depth = 0;
  let found = -1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}") depth--;
    else if (text[i] === char && depth === 0) found = i;
  }
  return found;
}

function splitOutsideBraces(text: string, char: string, fail: (reason: string) => never): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of text) {
    if (c === "{") depth++;
    if (c === "}") depth--;
    if (depth < 0 || depth > 1) fail(depth < 0 ? "unbalanced }" : "variables cannot be nested");
    if (c === char && depth === 0) {
      parts.push(current);
      current = "";
    } else current += c;
  }
  if (depth !== 0) fail("unclosed {");
  parts.push(current);
  return parts;
}
