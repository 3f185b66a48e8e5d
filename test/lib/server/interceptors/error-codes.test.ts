import assert from "node:assert/strict";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { ChillybinService } from "../../../../gen/chillybin/v1/chillybin_pb.js";
import { mapErrorsToCodes } from "../../../../lib/server/index.js";
import { captureLogger } from "../../../support/capture-logger.js";

class Refusal extends Error {}
const codes = (e: unknown) => (e instanceof Refusal ? new ConnectError(e.message, Code.NotFound) : undefined);
const aborted = (reason: ConnectError) => AbortSignal.abort(reason);

describe("mapErrorsToCodes: one mapping from failures to codes for every RPC", () => {
  const table: Array<{ case: string; thrown: unknown; signal?: AbortSignal; code: Code; message: string; errorLogged: boolean }> = [
    {
      case: "a ConnectError keeps its code",
      thrown: new ConnectError("no such thing", Code.NotFound),
      code: Code.NotFound,
      message: "no such thing",
      errorLogged: false,
    },
    {
      case: "the service's own refusal gets its code",
      thrown: new Refusal('unknown ingredient "ham"'),
      code: Code.NotFound,
      message: 'unknown ingredient "ham"',
      errorLogged: false,
    },
    {
      case: "anything unexpected is INTERNAL, logged with its cause",
      thrown: new TypeError("boom"),
      code: Code.Internal,
      message: "internal error",
      errorLogged: true,
    },
    {
      case: "an INTERNAL thrown on purpose is logged too",
      thrown: new ConnectError("chillybin failed", Code.Internal),
      code: Code.Internal,
      message: "chillybin failed",
      errorLogged: true,
    },
    {
      case: "a caller who went away is CANCELED, not a server error",
      thrown: new DOMException("aborted", "AbortError"),
      signal: aborted(new ConnectError("gone", Code.Canceled)),
      code: Code.Canceled,
      message: "gone",
      errorLogged: false,
    },
    {
      case: "a caller whose deadline ran out is DEADLINE_EXCEEDED",
      thrown: new TypeError("cut short"),
      signal: aborted(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
      code: Code.DeadlineExceeded,
      message: "the operation timed out",
      errorLogged: false,
    },
  ];
  for (const t of table) {
    it(`${t.case}`, async () => {
      const { logger, lines } = captureLogger();
      const next = async (): Promise<UnaryResponse> => {
        throw t.thrown;
      };
      const req = {
        service: ChillybinService,
        method: ChillybinService.method.pick,
        signal: t.signal ?? new AbortController().signal,
      } as unknown as UnaryRequest;
      const error = await (mapErrorsToCodes(logger, codes)(next as never) as (r: UnaryRequest) => Promise<UnaryResponse>)(req).then(
        () => assert.fail("answered"),
        (e: unknown) => e as ConnectError,
      );
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, t.code);
      assert.equal(error.rawMessage, t.message);
      const errors = lines.filter((l) => (l.level as number) >= 50);
      assert.equal(errors.length, t.errorLogged ? 1 : 0, JSON.stringify(lines));
      if (t.errorLogged) {
        assert.equal(errors[0]!.rpc, "chillybin.v1.ChillybinService/Pick");
        assert.ok(errors[0]!.err, "the cause is in the line");
      }
    });
  }
});
