// The interceptors every RPC runs through, whatever its protocol or path:
// failures become codes, requests are checked (strings PostgreSQL cannot
// store, the schema's rules), calls are traced, and a bearer token guards
// what a service asks it to.
export { requireBearerToken } from "./require-bearer-token.js";
export { type ErrorCodes, mapErrorsToCodes } from "./error-codes.js";
export { compileSchemaRules, schemaRules } from "./schema-rules.js";
export { traceCalls } from "./trace-calls.js";
export { rejectUnstorableStrings } from "./unstorable-strings.js";
