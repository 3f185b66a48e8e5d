// HTTP/JSON transcoding from google.api.http annotations for Connect services:
// template → route table → request binding → the RPC's own Connect handler.
export { openApiDocument, type OpenApiDocument } from "./openapi.js";
export { parsePathTemplate, TemplateError, type PathTemplate, type Segment, type Variable } from "./path-template.js";
export { compareSpecificity, decodeCapture, matchPath, PathError, splitRequestPath } from "./path-match.js";
export { RouteError, RouteTable, routeOf, routesOf, type Lookup, type Route } from "./route-table.js";
export { BindingError, bindRequest, jsonKind } from "./request-binding.js";
export { createRestHandler, type RestCall, type RestHandlerOptions } from "./rest-handler.js";
