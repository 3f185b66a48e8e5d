// A client leaving a server stream (buf curl giving up on grpc.health.v1
// Watch after 1 s) is not a server error: no error-level line (a write that
// failed is a debug line saying the client went away). buf curl is a client nobody here wrote.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { captureLogger } from "../support/capture-logger.js";
import { useServices } from "../support/services.js";

const BUF = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;
const ERROR_LEVEL = 50;

function bufCurlLeaving(url: string, protocol: string): Promise<string> {
  return new Promise((resolve) =>
    execFile(
      BUF,
      ["curl", "--protocol", protocol, "--http2-prior-knowledge", "--timeout", "1s", "-d", '{"service":""}', `${url}/grpc.health.v1.Health/Watch`],
      (_error, stdout, stderr) => resolve(stdout + stderr),
    ),
  );
}

describe("a client leaving a stream is not a server error", function () {
  this.timeout(30_000);
  const log = captureLogger();
  const services = useServices({ chillybinLogger: log.logger });

  for (const protocol of ["connect", "grpc"]) {
    it(`buf curl --protocol ${protocol} --timeout 1s on Health/Watch: no error-level line`, async () => {
      const before = log.lines.length;
      const output = await bufCurlLeaving(services.chillybin.server.url, protocol);
      assert.match(output, /SERVING/, "it watched before it left");
      assert.match(output, /deadline_exceeded/);
      // Its access line is written when the stream closes.
      const watch = await log.waitFor((l) => l.msg === "request" && l.rpc === "grpc.health.v1.Health/Watch", before);
      // (Its code depends on which came first, the client's reset or the server's own 1 s deadline from grpc-timeout.)
      assert.equal(watch?.protocol, protocol);
      // Where writing to the stream failed, the debug line says why.
      const gone = log.lines.slice(before).filter((l) => l.msg === "the client went away before the response was written");
      assert.ok(gone.every((l) => l.level === 20));
      assert.deepEqual(
        log.lines.slice(before).filter((l) => (l.level as number) >= ERROR_LEVEL),
        [],
      );
    });
  }
});
