import { pino, type Logger } from "pino";

type Line = Record<string, unknown>;

/** A real pino logger whose lines are kept, parsed, for assertions. */
export function captureLogger(): {
  logger: Logger;
  lines: Line[];
  /**
   * The first line from index `from` on that `matches`, waiting up to
   * `timeoutMs` for it (an access line is written when its response closes,
   * which may be just after the client has read it); undefined if none came.
   */
  waitFor(matches: (line: Line) => boolean, from?: number, timeoutMs?: number): Promise<Line | undefined>;
} {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  async function waitFor(matches: (line: Line) => boolean, from = 0, timeoutMs = 3_000): Promise<Line | undefined> {
    for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 10))) {
      const found = lines.slice(from).find(matches);
      if (found || Date.now() > deadline) return found;
    }
  }
  return { logger, lines, waitFor };
}
