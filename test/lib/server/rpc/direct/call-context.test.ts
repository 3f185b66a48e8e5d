// A direct call's HandlerContext (call-context.ts) behaves as the one
// Connect's createHandlerContext makes: the caller's deadline aborts its
// signal with DEADLINE_EXCEEDED, the server's shutdown aborts every call in
// flight with its reason, the first reason wins; and the implementation,
// which Connect hands a copy of it, sees the signal and the time left.
import assert from "node:assert/strict";
import { once } from "node:events";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createMethodImplSpec, type HandlerContext } from "@connectrpc/connect";
import * as v1 from "../../../../../gen/chillybin/v1/chillybin_pb.js";
import { invokeUnaryImplementation } from "../../../../../lib/connect-internals.js";
import { CallsInFlight, type DirectCallInit } from "../../../../../lib/server/rpc/direct/call-context.js";

const PICK = v1.ChillybinService.method.pick;

function init(timeoutMs?: number): DirectCallInit {
  return {
    service: v1.ChillybinService,
    method: PICK,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "/chillybin.v1.ChillybinService/Pick",
    timeoutMs,
    requestHeader: new Headers({ "x-request-id": "r-1" }),
    responseHeader: { "content-type": "application/grpc+proto" },
    responseTrailer: { "grpc-status": "0" },
    values: createContextValues(),
  };
}

const ENDED = new ConnectError("the call has ended", Code.Canceled);

describe("a direct call's context", () => {
  it("the caller's deadline aborts the signal with DEADLINE_EXCEEDED, as Connect's does", async () => {
    const context = new CallsInFlight(new AbortController().signal).start(init(30));
    const left = context.timeoutMs()!;
    assert.ok(left > 0 && left <= 30, `${left} ms left`);
    await once(context.signal, "abort");
    const reason = ConnectError.from(context.signal.reason);
    assert.deepEqual([reason.code, reason.rawMessage], [Code.DeadlineExceeded, "the operation timed out"]);
    assert.ok(context.timeoutMs()! <= 0);
    context.end(ENDED);
  });

  it("a deadline already past aborts it at once", () => {
    const context = new CallsInFlight(new AbortController().signal).start(init(0));
    assert.equal(ConnectError.from(context.signal.reason).code, Code.DeadlineExceeded);
    context.end(ENDED);
  });

  it("without a deadline, no time limit and no abort until the call ends", async () => {
    const context = new CallsInFlight(new AbortController().signal).start(init());
    assert.equal(context.timeoutMs(), undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(context.signal.aborted, false);
    context.end(ENDED);
    assert.equal(context.signal.reason, ENDED);
  });

  it("the server's shutdown aborts every call in flight with its reason, not one that ended, and any call started after it", () => {
    const shutdown = new AbortController();
    const calls = new CallsInFlight(shutdown.signal);
    const [a, b, ended] = [calls.start(init()), calls.start(init(60_000)), calls.start(init())];
    ended.end(ENDED);
    assert.equal(calls.count, 2);
    const reason = new ConnectError("the server is shutting down", Code.Unavailable);
    shutdown.abort(reason);
    assert.deepEqual([a.signal.reason, b.signal.reason, ended.signal.reason], [reason, reason, ENDED]);
    assert.equal(calls.start(init()).signal.reason, reason);
    for (const context of [a, b]) context.end(ENDED);
    assert.equal(calls.count, 1); // the one started after the shutdown
  });

  it("the first reason wins, and an ended call's deadline timer is gone", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
    const before = timers();
    const context = new CallsInFlight(new AbortController().signal).start(init(20));
    assert.equal(timers(), before + 1);
    const gone = new ConnectError("the client cancelled the call", Code.Canceled);
    context.abort(gone);
    context.abort(new Error("later"));
    context.end(ENDED);
    assert.equal(timers(), before);
    assert.equal(context.signal.reason, gone);
  });

  it("the implementation's copy has the signal, the time left, the headers and values, and nothing of how the context is kept", async () => {
    let seen: HandlerContext | undefined;
    const spec = createMethodImplSpec(PICK, (req, ctx) => {
      seen = ctx;
      return create(v1.PickResponseSchema, { name: req.name, remaining: 1 });
    });
    const context = new CallsInFlight(new AbortController().signal).start(init(5_000));
    await invokeUnaryImplementation(spec as never, context, create(v1.PickRequestSchema, { name: "cheese", quantity: 1 }) as never, []);
    assert.ok(seen);
    assert.equal(seen.signal, context.signal);
    assert.ok(seen.timeoutMs()! > 0 && seen.timeoutMs()! <= 5_000);
    assert.equal(seen.requestHeader.get("x-request-id"), "r-1");
    assert.equal(seen.values, context.values);
    assert.deepEqual(Object.keys(seen).sort(), [
      "method",
      "protocolName",
      "requestHeader",
      "requestMethod",
      "responseHeader",
      "responseTrailer",
      "service",
      "signal",
      "timeoutMs",
      "url",
      "values",
    ]);
    context.end(ENDED);
  });
});
