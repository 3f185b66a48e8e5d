// Graceful shutdown of a real jafflr process: a toastie that is cooking when
// SIGTERM arrives is finished and answered, new connections are refused, and
// the process exits 0; past the drain timeout, requests fail cleanly.
import assert from "node:assert/strict";
import * as net from "node:net";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { JafflrService, MakeToastieRequestSchema, MakeToastieResponseSchema, Doneness } from "../../gen/jafflr/v1/jafflr_pb.js";
import { freePort } from "../../scripts/support/ports.js";
import { runTs, type RunningProcess } from "../../scripts/support/processes.js";
import { startChillybin, type TestChillybin } from "../support/services.js";
import { grpcJsUnary } from "../support/transports.js";

/** Resolves once a TCP connection to the port is refused. */
async function refused(port: number): Promise<void> {
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    if (outcome === "ECONNREFUSED") return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function cooking(url: string): Promise<number> {
  const res = await fetch(`${url}/`);
  return ((await res.json()) as { cooking: number }).cooking;
}

describe("graceful shutdown (a jafflr process)", function () {
  this.timeout(60_000);
  let chillybin: TestChillybin;
  let jafflr: RunningProcess | undefined;
  before(async () => (chillybin = await startChillybin()));
  after(() => chillybin?.stop());
  afterEach(async () => jafflr?.stop("SIGKILL"));

  async function startJafflrProcess(env: Record<string, string>): Promise<{ url: string; port: number }> {
    const port = await freePort();
    jafflr = runTs("services/jafflr/main.ts", { JAFFLR_PORT: String(port), CHILLYBIN_URL: chillybin.server.url, ...env });
    await jafflr.waitForLine(/"msg":"listening"/);
    return { url: `http://127.0.0.1:${port}`, port };
  }

  it("SIGTERM while a toastie cooks (Connect over HTTP/1.1): it is served, new connections are refused, exit 0", async () => {
    // well-done: 5 s × 0.5 = 2.5 s of cooking
    const { url, port } = await startJafflrProcess({ TOAST_TIME_SCALE: "0.5" });
    const toastie = fetch(`${url}/jafflr.v1.JafflrService/MakeToastie`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ingredients: ["cheese"], doneness: "DONENESS_WELL_DONE" }),
    });
    while ((await cooking(url)) === 0) await new Promise((r) => setTimeout(r, 20));
    jafflr!.child.kill("SIGTERM");
    await refused(port);
    const res = await toastie;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { toastie: { doneness: string } }).toastie.doneness, "DONENESS_WELL_DONE");
    assert.equal(await jafflr!.exited, 0);
  });

  it("SIGTERM during an in-flight gRPC call over h2c: it completes, exit 0", async () => {
    const { url, port } = await startJafflrProcess({ TOAST_TIME_SCALE: "0.5" });
    const call = grpcJsUnary(
      `127.0.0.1:${port}`,
      JafflrService,
      "MakeToastie",
      MakeToastieRequestSchema,
      MakeToastieResponseSchema,
      create(MakeToastieRequestSchema, { ingredients: ["cheese"], doneness: Doneness.WELL_DONE }),
    );
    while ((await cooking(url)) === 0) await new Promise((r) => setTimeout(r, 20));
    jafflr!.child.kill("SIGTERM");
    await refused(port);
    const res = await call;
    assert.equal(res.toastie?.doneness, Doneness.WELL_DONE);
    assert.equal(await jafflr!.exited, 0);
  });

  it("past DRAIN_TIMEOUT_MS the request still in flight fails cleanly with UNAVAILABLE, exit 0", async () => {
    // burnt: 10 s × 1 = 10 s of cooking, far past a 300 ms drain timeout
    const { url, port } = await startJafflrProcess({ TOAST_TIME_SCALE: "1", DRAIN_TIMEOUT_MS: "300" });
    const call = grpcJsUnary(
      `127.0.0.1:${port}`,
      JafflrService,
      "MakeToastie",
      MakeToastieRequestSchema,
      MakeToastieResponseSchema,
      create(MakeToastieRequestSchema, { ingredients: ["cheese"], doneness: Doneness.BURNT }),
    ).then(
      () => assert.fail("the toastie was served"),
      (e: grpc.ServiceError) => e,
    );
    while ((await cooking(url)) === 0) await new Promise((r) => setTimeout(r, 20));
    const signalled = Date.now();
    jafflr!.child.kill("SIGTERM");
    const error = await call;
    assert.equal(error.code, grpc.status.UNAVAILABLE);
    assert.match(error.details, /shutting down/);
    assert.equal(await jafflr!.exited, 0);
    assert.ok(Date.now() - signalled < 9_000, "it waited for the toastie anyway");
  });
});
