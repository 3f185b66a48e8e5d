import { Code } from "@connectrpc/connect";

// The names the Connect protocol gives codes ("deadline_exceeded"), which log
// lines, metric labels, spans and REST errors use: Code's own member names in
// snake case, from the public enum rather than Connect's private codeToString.

const NAMES = new Map<Code, string>();
const CODES = new Map<string, Code>();
for (const [member, value] of Object.entries(Code)) {
  if (typeof value !== "number") continue;
  const name = member.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
  NAMES.set(value, name);
  CODES.set(name, value);
}

/** A code's protocol name ("not_found"); "unknown" for a number that is no code. */
export function codeName(code: Code): string {
  return NAMES.get(code) ?? "unknown";
}

/** The code a protocol name names, or undefined. */
export function codeNamed(name: string): Code | undefined {
  return CODES.get(name);
}
