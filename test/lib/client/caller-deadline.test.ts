import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { callOptionsFor, onBehalfOfKey, type Caller } from "../../../lib/client/caller-deadline.js";

const caller = (remainingMs: number | undefined, signal = new AbortController().signal): Caller => ({ signal, timeoutMs: () => remainingMs });

describe("callOptionsFor: a call made for a caller inherits its deadline and cancellation", () => {
  const table: Array<{ case: string; caller: Caller; own: number; timeoutMs?: number; callers?: boolean; throws?: Code }> = [
    { case: "a caller without a deadline: the service's own timeout", caller: caller(undefined), own: 5_000, timeoutMs: 5_000, callers: false },
    { case: "a caller with less time left than the own timeout: the caller's", caller: caller(120), own: 5_000, timeoutMs: 120, callers: true },
    {
      case: "a caller with more time left: the own timeout, which is then the service's fault",
      caller: caller(60_000),
      own: 5_000,
      timeoutMs: 5_000,
      callers: false,
    },
    { case: "a caller already out of time: DEADLINE_EXCEEDED, nothing sent", caller: caller(0), own: 5_000, throws: Code.DeadlineExceeded },
    {
      case: "a fraction of a millisecond left: whole milliseconds (grpc-timeout takes integers)",
      caller: caller(296.9),
      own: 5_000,
      timeoutMs: 296,
      callers: true,
    },
    { case: "less than a millisecond left: DEADLINE_EXCEEDED, nothing sent", caller: caller(0.4), own: 5_000, throws: Code.DeadlineExceeded },
    {
      case: "a caller already gone: CANCELED, nothing sent",
      caller: caller(100, AbortSignal.abort(new ConnectError("gone", Code.Canceled))),
      own: 5_000,
      throws: Code.Canceled,
    },
  ];
  for (const t of table) {
    it(t.case, () => {
      if (t.throws !== undefined) {
        assert.throws(
          () => callOptionsFor(t.caller, t.own),
          (e: unknown) => e instanceof ConnectError && e.code === t.throws,
        );
        return;
      }
      const options = callOptionsFor(t.caller, t.own);
      assert.equal(options.timeoutMs, t.timeoutMs);
      assert.equal(options.signal, t.caller.signal, "cancelled with the caller");
      assert.equal(options.contextValues?.get(onBehalfOfKey)?.deadlineIsCallers, t.callers);
    });
  }
});
