import type { ContextValues } from "@connectrpc/connect";
import { connectParseTimeout } from "../../connect-internals.js";
import type { RestCall } from "../../transcoding/index.js";
import type { DirectInvoker, UnarySpec } from "./direct/index.js";
import type { NodeRequest } from "../../http/index.js";

/**
 * REST's in-process call: the RPC's implementation through the direct
 * invocation (every interceptor, as for any other protocol), with the
 * message the transcoder bound, never encoded and parsed again. A
 * `connect-timeout-ms` header gives the call its deadline, as on the Connect path.
 */
export function directRestCall(specs: ReadonlyMap<string, UnarySpec>, invoker: DirectInvoker, contextValues: (req: NodeRequest) => ContextValues): RestCall {
  return async (method, input, header, req, res) => {
    const path = `/${method.parent.typeName}/${method.name}`;
    const timeout = connectParseTimeout(header.get("connect-timeout-ms"), invoker.options.maxTimeoutMs);
    if (timeout.error) return { header: new Headers(), error: timeout.error };
    const outcome = await invoker.invoke(specs.get(path)!, input, {
      req,
      res,
      contextValues: contextValues(req),
      protocolName: "connect",
      url: path,
      timeoutMs: timeout.timeoutMs,
      requestHeader: header,
      responseHeader: {},
    });
    return { header: outcome.context.responseHeader, output: outcome.output, error: outcome.error };
  };
}
