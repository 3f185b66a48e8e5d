// Stage 2: match a request path against a parsed template, and rank templates
// so that the most specific one wins when several match.
import type { PathTemplate, Segment } from "./path-template.js";

/** A request path, split for matching. */
export interface RequestPath {
  /** Raw (still percent-encoded) segments; [] for "/". */
  segments: string[];
  /** What followed the last ":" of the last segment, when there was one. */
  verb?: string;
  /** The last segment with its ":verb" left on, for templates that take no verb. */
  lastWithVerb?: string;
}

export class PathError extends Error {}

/** Splits "/a/b:verb" into raw segments. Refuses empty segments ("//", a trailing "/"). */
export function splitRequestPath(pathname: string): RequestPath {
  if (!pathname.startsWith("/")) throw new PathError(`path "${pathname}" must start with /`);
  if (pathname === "/") return { segments: [] };
  const segments = pathname.slice(1).split("/");
  if (segments.some((s) => s === "")) throw new PathError(`path "${pathname}" has an empty segment`);
  const last = segments[segments.length - 1]!;
  const colon = last.lastIndexOf(":");
  if (colon < 0) return { segments };
  return {
    segments: [...segments.slice(0, -1), last.slice(0, colon)],
    verb: last.slice(colon + 1),
    lastWithVerb: last,
  };
}

/**
 * Percent-decodes a captured value as the HttpRule spec says: a variable over
 * one segment decodes everything ("%2F" becomes "/"); one over several
 * segments keeps "%2F" encoded so the slashes it had stay distinguishable.
 */
export function decodeCapture(rawSegments: string[], multiSegment: boolean): string {
  if (!multiSegment) return decodeURIComponent(rawSegments[0] ?? "");
  return rawSegments
    .map((s) =>
      s
        .split(/(%2[Ff])/)
        .map((part, i) => (i % 2 ? part.toUpperCase() : decodeURIComponent(part)))
        .join(""),
    )
    .join("/");
}

/** Field path ("a.b") → decoded value, or undefined when the path does not match. */
export function matchPath(template: PathTemplate, path: RequestPath): Map<string, string> | undefined {
  let segments = path.segments;
  if (template.verb !== undefined) {
    if (path.verb !== template.verb) return undefined;
  } else if (path.lastWithVerb !== undefined) {
    // No verb in the template: the ":" belongs to the last segment.
    segments = [...segments.slice(0, -1), path.lastWithVerb];
  }
  const spans = matchSegments(template.segments, segments);
  if (!spans) return undefined;
  const bindings = new Map<string, string>();
  for (const v of template.variables) {
    const from = spans[v.start]!;
    const to = v.end < spans.length ? spans[v.end]! : segments.length;
    const multi = v.end - v.start > 1 || template.segments[v.start]?.kind === "multi";
    try {
      bindings.set(v.fieldPath.join("."), decodeCapture(segments.slice(from, to), multi));
    } catch {
      throw new PathError(`the path segment for ${v.fieldPath.join(".")} is not valid percent-encoding`);
    }
  }
  return bindings;
}

/**
 * Where each template segment starts in the request's segments (plus one
 * entry for the end), or undefined when they do not match.
 */
function matchSegments(template: Segment[], segments: string[]): number[] | undefined {
  const starts: number[] = [];
  let i = 0;
  for (const segment of template) {
    starts.push(i);
    if (segment.kind === "multi") {
      i = segments.length; // "**" is always last: it takes the rest, even nothing
      continue;
    }
    const actual = segments[i];
    if (actual === undefined) return undefined;
    if (segment.kind === "literal" && safeDecode(actual) !== segment.value) return undefined;
    i++;
  }
  if (i !== segments.length) return undefined;
  starts.push(i);
  return starts;
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

// A template that has ended ranks above "**" matching nothing: for "/a",
// "/a" beats "/a/**".
const RANK: Record<Segment["kind"] | "end", number> = { literal: 3, single: 2, end: 1, multi: 0 };

/**
 * Orders templates most specific first: segment by segment, a literal beats
 * `*`, which beats the end of a template, which beats `**`; then the one with
 * a verb.
 */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const ra = RANK[a.segments[i]?.kind ?? "end"];
    const rb = RANK[b.segments[i]?.kind ?? "end"];
    if (ra !== rb) return rb - ra;
  }
  return Number(b.verb !== undefined) - Number(a.verb !== undefined);
}

/** True when the two templates match exactly the same paths. */
export function sameShape(a: PathTemplate, b: PathTemplate): boolean {
  return (
    a.verb === b.verb &&
    a.segments.length === b.segments.length &&
    a.segments.every((s, i) => {
      const t = b.segments[i]!;
      return s.kind === t.kind && (s.kind !== "literal" || s.value === (t as { value: string }).value);
    })
  );
}
