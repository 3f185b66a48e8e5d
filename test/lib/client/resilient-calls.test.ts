import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { onBehalfOfKey, type OnBehalfOf } from "../../../lib/client/caller-deadline.js";
import { resilientCalls } from "../../../lib/client/resilient-calls.js";
import { GetStockRequestSchema } from "../../../gen/chillybin/v1/chillybin_pb.js";

const refused = () =>
  new ConnectError(
    "connect ECONNREFUSED",
    Code.Unavailable,
    undefined,
    undefined,
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
  );
const reset = () => new ConnectError("socket hang up", Code.Unavailable);
// What Connect-Node reports when chillybin refuses a stream while it shuts down (the request was not processed).
const refusedStream = () =>
  new ConnectError(
    "Stream closed with error code NGHTTP2_REFUSED_STREAM",
    Code.Internal,
    undefined,
    undefined,
    Object.assign(new Error("Stream closed with error code NGHTTP2_REFUSED_STREAM"), { code: "ERR_HTTP2_STREAM_ERROR" }),
  );
const notFound = () => new ConnectError('unknown ingredient "ham"', Code.NotFound);
// What Connect-Node answers a call that met a connection the server had just sent GOAWAY on (nothing was sent).
const goaway = () => new ConnectError("received GOAWAY without any open streams", Code.Canceled);
const timedOut = () => new ConnectError("the operation timed out", Code.DeadlineExceeded);
const cut = () => new ConnectError("stream was reset", Code.Canceled);

/** An interceptor around a scripted `next`: each call takes the next outcome. */
function harness(outcomes: Array<() => Error | "ok">, options: Parameters<typeof resilientCalls>[0], onBehalfOf?: OnBehalfOf) {
  let calls = 0;
  const next = async (): Promise<UnaryResponse> => {
    const outcome = outcomes[Math.min(calls++, outcomes.length - 1)]!();
    if (outcome !== "ok") throw outcome;
    return { message: create(GetStockRequestSchema) } as unknown as UnaryResponse;
  };
  const interceptor = resilientCalls(options);
  const call = interceptor(next as never) as (req: UnaryRequest) => Promise<UnaryResponse>;
  const req = { contextValues: createContextValues().set(onBehalfOfKey, onBehalfOf) } as UnaryRequest;
  return {
    call: () =>
      call(req).then(
        () => "ok" as const,
        (e: unknown) => ConnectError.from(e),
      ),
    calls: () => calls,
  };
}

describe("resilient calls (retries and a circuit breaker)", () => {
  const table: Array<{ case: string; outcomes: Array<() => Error | "ok">; result: "ok" | Code; calls: number }> = [
    { case: "a refused connection is retried (the request was never sent)", outcomes: [refused, refused, () => "ok"], result: "ok", calls: 3 },
    { case: "retries stop after the configured attempts", outcomes: [refused], result: Code.Unavailable, calls: 3 },
    { case: "a refused HTTP/2 stream is retried (the server did not process it)", outcomes: [refusedStream, () => "ok"], result: "ok", calls: 2 },
    { case: "a refused HTTP/2 stream that persists is UNAVAILABLE, not INTERNAL", outcomes: [refusedStream], result: Code.Unavailable, calls: 3 },
    { case: "a dropped connection is not retried (the pick may have happened)", outcomes: [reset, () => "ok"], result: Code.Unavailable, calls: 1 },
    { case: "an answer such as NOT_FOUND is not retried", outcomes: [notFound, () => "ok"], result: Code.NotFound, calls: 1 },
    { case: "a call that met a GOAWAY before it was sent is retried", outcomes: [goaway, () => "ok"], result: "ok", calls: 2 },
    { case: "a stream cut under the call is UNAVAILABLE, not retried", outcomes: [cut, () => "ok"], result: Code.Unavailable, calls: 1 },
  ];
  for (const t of table) {
    it(t.case, async () => {
      const h = harness(t.outcomes, { target: "chillybin", retries: 2, breakAfter: 10 });
      const result = await h.call();
      assert.equal(result === "ok" ? "ok" : result.code, t.result);
      assert.equal(h.calls(), t.calls);
    });
  }

  it("opens after repeated unavailable answers: calls fail at once with a clear message, then one tries again", async () => {
    let up = false;
    const h = harness([() => (up ? "ok" : reset())], { target: "chillybin", retries: 0, breakAfter: 3, halfOpenAfterMs: 100 });
    for (let i = 0; i < 3; i++) assert.equal(((await h.call()) as ConnectError).code, Code.Unavailable);
    assert.equal(h.calls(), 3);
    const open = (await h.call()) as ConnectError;
    assert.equal(open.code, Code.Unavailable);
    assert.match(open.rawMessage, /chillybin is unavailable: the circuit is open/);
    assert.equal(h.calls(), 3, "an open circuit does not call");
    up = true;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await h.call(), "ok");
    assert.equal(await h.call(), "ok");
  });

  it("business answers never open the circuit", async () => {
    const h = harness([notFound], { target: "chillybin", retries: 0, breakAfter: 2 });
    for (let i = 0; i < 5; i++) assert.equal(((await h.call()) as ConnectError).code, Code.NotFound);
    assert.equal(h.calls(), 5);
  });

  const callerGone = (reason: ConnectError): OnBehalfOf => ({ signal: AbortSignal.abort(reason), deadlineIsCallers: false });
  const breakerTable: Array<{ case: string; outcome: () => Error; onBehalfOf?: OnBehalfOf; code: Code; opens: boolean }> = [
    {
      case: "the caller's deadline ran out (its signal fired)",
      outcome: timedOut,
      onBehalfOf: callerGone(timedOut()),
      code: Code.DeadlineExceeded,
      opens: false,
    },
    {
      case: "the caller's deadline was the call's and ran out first",
      outcome: timedOut,
      onBehalfOf: { signal: new AbortController().signal, deadlineIsCallers: true },
      code: Code.DeadlineExceeded,
      opens: false,
    },
    {
      case: "the caller went away",
      outcome: cut,
      onBehalfOf: callerGone(new ConnectError("the client went away", Code.Canceled)),
      code: Code.Canceled,
      opens: false,
    },
    {
      case: "NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT are answers",
      outcome: () => new ConnectError("not enough", Code.FailedPrecondition),
      code: Code.FailedPrecondition,
      opens: false,
    },
    {
      case: "the service's own timeout while the caller had time left",
      outcome: timedOut,
      onBehalfOf: { signal: new AbortController().signal, deadlineIsCallers: false },
      code: Code.DeadlineExceeded,
      opens: true,
    },
    { case: "a timeout on a call made for nobody in particular", outcome: timedOut, code: Code.DeadlineExceeded, opens: true },
    {
      case: "a stream the service cut",
      outcome: cut,
      onBehalfOf: { signal: new AbortController().signal, deadlineIsCallers: false },
      code: Code.Unavailable,
      opens: true,
    },
    { case: "UNAVAILABLE", outcome: reset, code: Code.Unavailable, opens: true },
  ];
  for (const t of breakerTable) {
    it(`the breaker ${t.opens ? "opens on" : "never counts"}: ${t.case}`, async () => {
      const h = harness([t.outcome], { target: "chillybin", retries: 0, breakAfter: 3, halfOpenAfterMs: 60_000 }, t.onBehalfOf);
      for (let i = 0; i < 3; i++) assert.equal(((await h.call()) as ConnectError).code, t.code);
      const fourth = (await h.call()) as ConnectError;
      if (t.opens) {
        assert.match(fourth.rawMessage, /the circuit is open/);
        assert.equal(h.calls(), 3, "an open circuit does not call");
      } else {
        assert.equal(fourth.code, t.code);
        assert.equal(h.calls(), 4);
      }
    });
  }
});
