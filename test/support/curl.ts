// curl, as a person debugging the services calls them: what tests use to show
// that a client nobody here wrote sees what it should.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export interface CurlResult {
  status: number;
  /** The response headers, names lower-cased. */
  headers: Record<string, string>;
  /** The body as curl printed it (latin1, so that binary bytes survive). */
  body: string;
}

/** Runs `curl -s -i <args>` and splits what it printed into status, headers and body. */
export async function curl(args: string[]): Promise<CurlResult> {
  const { stdout } = await promisify(execFile)("curl", ["-s", "-i", ...args], { encoding: "latin1" });
  const split = stdout.indexOf("\r\n\r\n");
  const lines = stdout.slice(0, split).split("\r\n");
  const headers = Object.fromEntries(
    lines.slice(1).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    }),
  );
  return { status: Number(lines[0]!.split(" ")[1]), headers, body: stdout.slice(split + 4) };
}
