// RPC paths: the Connect router with its one set of options, the dispatch of
// each request on an RPC path (direct unary paths or Connect's handlers), the
// answers in each protocol's own words (refusals, unknown methods, decoding
// errors), and REST's in-process call.
export { refuseRequest } from "./refusal.js";
export { directRestCall } from "./rest-call.js";
export { createRpcDispatch } from "./rpc-dispatch.js";
export type { RpcOptionsInit } from "./rpc-options.js";
export { assembleRpcRouter, type RequestGate } from "./rpc-router.js";
export { answerUnknownMethod } from "./unknown-method.js";
