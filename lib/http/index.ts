// Plain HTTP pieces every server part uses: Node's two request types as one,
// header conversion, a client that went away, and errors answered as JSON.
export { DEFAULT_MAX_BODY_BYTES } from "./body-limit.js";
export { HttpError, writeError } from "./error-answer.js";
export { clientWentAway, type NodeRequest, type NodeResponse, type RequestHandler, toFetchHeaders, writeHead } from "./node-http.js";
