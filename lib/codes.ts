import { Code } from "@connectrpc/connect";

// What the services say about codes: the names the Connect protocol gives
// them ("deadline_exceeded"), which log lines, metric labels, spans and REST
// errors use (Code's own member names in snake case, from the public enum
// rather than Connect's private codeToString), and which say the server is at fault.

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

/** Codes that say the server is at fault: each gets an error-level log line with its cause. */
const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** Whether a code says the server is at fault (INTERNAL, UNKNOWN, DATA_LOSS), not the caller or a dependency. */
export function isServerFault(code: Code): boolean {
  return SERVER_FAULTS.has(code);
}
