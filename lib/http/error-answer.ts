import { type Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJson } from "../connect-internals.js";
import { type NodeResponse, writeHead } from "./node-http.js";

// How every refusal and failure answered over plain HTTP looks, on REST
// routes and RPC paths alike: an HTTP status and the Connect protocol's JSON
// error body, {"code":"not_found","message":"…","details":[…]}, which Connect
// clients and REST clients read the same way.

/** An error answered with an HTTP status of its own (405 with Allow, 415…) rather than the one its code maps to. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Answers the error: its status (the code's standard one for a ConnectError), its headers, the JSON body. */
export function writeError(res: NodeResponse, error: ConnectError | HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const [status, json, headers] =
    error instanceof HttpError
      ? [error.status, errorToJson(new ConnectError(error.message, error.code), undefined), error.headers]
      : [codeToHttpStatus(error.code), errorToJson(error, undefined), {}];
  const text = JSON.stringify(json);
  writeHead(res, status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
