// Log lines for machines (JSON) and for people (text), with the service on each.
import assert from "node:assert/strict";
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
});
