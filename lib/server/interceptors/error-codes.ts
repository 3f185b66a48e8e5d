import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { isServerFault } from "../../codes.js";
import type { Logger } from "../../logger.js";

/**
 * A service's own failures that have a code of their own (a refusal such as
 * "unknown ingredient", or its database being out of reach): the code to
 * answer, or undefined for anything it does not recognise.
 */
export type ErrorCodes = (error: unknown) => ConnectError | undefined;

/**
 * The one place every RPC's failures become codes, whatever the method:
 * a caller who went away or ran out of time gets CANCELED or
 * DEADLINE_EXCEEDED (and is logged at debug level: it is not a server
 * error); a ConnectError keeps its code; the service's `codes` map its own
 * failures; anything else is INTERNAL. Server faults are logged with the cause.
 */
export function mapErrorsToCodes(logger: Logger, codes: ErrorCodes = () => undefined): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      const rpc = `${req.service.typeName}/${req.method.name}`;
      if (req.signal.aborted) {
        const reason = ConnectError.from(req.signal.reason);
        if (reason.code === Code.Canceled || reason.code === Code.DeadlineExceeded) {
          logger.debug({ rpc, code: Code[reason.code], reason: reason.rawMessage }, "the caller went away or ran out of time");
          throw reason;
        }
      }
      const mapped = error instanceof ConnectError ? error : (codes(error) ?? new ConnectError("internal error", Code.Internal, undefined, undefined, error));
      if (isServerFault(mapped.code)) logger.error({ rpc, err: error }, `${rpc} failed: ${mapped.rawMessage}`);
      throw mapped;
    }
  };
}
