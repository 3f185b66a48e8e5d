// Log lines for machines (JSON) and for people (text), with the service on each.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { createLogger } from "../../lib/logger.js";

function linesOf(format: "json" | "pretty", write: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  write(createLogger({ service: "chillybin", version: "v9", format, destination: out }));
  return chunks.join("").trim().split("\n");
}

describe("createLogger", () => {
  it("json: one object per line, with service, version and the fields", () => {
    const [line] = linesOf("json", (log) => log.info({ httpMethod: "GET", path: "/", status: 200 }, "request"));
    const parsed = JSON.parse(line!) as Record<string, unknown>;
    assert.equal(parsed.service, "chillybin");
    assert.equal(parsed.version, "v9");
    assert.equal(parsed.msg, "request");
    assert.equal(parsed.level, 30);
    assert.equal(parsed.status, 200);
  });

  const pretty: Array<{ case: string; write: (log: ReturnType<typeof createLogger>) => void; line: RegExp }> = [
    {
      case: "an access line reads as a sentence",
      write: (log) =>
        log.info(
          {
            requestId: "r1",
            httpMethod: "GET",
            path: "/pick?name=ham",
            protocol: "rest",
            rpc: "chillybin.v1.ChillybinService/Pick",
            code: "not_found",
            status: 404,
            durationMs: 3.1,
          },
          "request",
        ),
      line: /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: chillybin request GET \/pick\?name=ham chillybin\.v1\.ChillybinService\/Pick not_found 404 3\.1 ms \{"requestId":"r1","protocol":"rest"\}$/,
    },
    {
      case: "other lines: level, service, message",
      write: (log) => log.warn("CHILLYBIN_ADMIN_TOKEN is not set"),
      line: /^\[[\d:.]+\] WARN: chillybin CHILLYBIN_ADMIN_TOKEN is not set$/,
    },
    {
      case: "no version on every line",
      write: (log) => log.info({ port: 7001 }, "listening"),
      line: /^\[[\d:.]+\] INFO: chillybin listening \{"port":7001\}$/,
    },
  ];
  for (const t of pretty) {
    it(`pretty: ${t.case}`, () => {
      const lines = linesOf("pretty", t.write);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0]!, t.line);
    });
  }

  // npm start's launcher killed: the service's stdout reads nothing any more. Its
  // next lines, and its exit, must not wait for a reader that will never come.
  for (const format of ["json", "pretty"] as const)
    it(`${format}: a process whose stdout's reader has gone still exits, its last lines dropped`, async function () {
      this.timeout(30_000);
      const script = `
        import { createLogger } from "./lib/logger.ts";
        const log = createLogger({ service: "chillybin", version: "v9", format: "${format}" });
        process.stdin.once("data", () => { log.info("one"); log.info("two"); process.exit(0); });
        process.stderr.write("ready\\n");`;
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: "pipe" });
      await once(child.stderr, "data");
      child.stdout.destroy(); // the reader goes away
      child.stdin.write("log and exit\n");
      const exited = once(child, "exit");
      const hung = new Promise((resolve) => setTimeout(resolve, 10_000, "still running 10 s after"));
      const outcome = await Promise.race([exited, hung]);
      child.kill("SIGKILL");
      assert.deepEqual(outcome, [0, null]);
    });
});
