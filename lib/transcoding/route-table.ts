// Stage 3: the routes of a set of services, read from their google.api.http
// options, ordered so that the most specific template wins.
import { getOption, hasOption, type DescField, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { http as httpOption } from "../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/google/api/http_pb.js";
import { type FieldPathError, isPathBindable, resolveFieldPath } from "./field-path.js";
import { compareSpecificity, matchPath, sameShape, splitRequestPath } from "./path-match.js";
import { parsePathTemplate, type TemplateError, type PathTemplate } from "./path-template.js";

export interface Route {
  /** GET, POST, PUT, PATCH, DELETE, or a custom method's name. */
  httpMethod: string;
  template: PathTemplate;
  rpc: DescMethod;
  /** undefined: no body; "*": the whole request; or the field the body fills. */
  body: "*" | DescField | undefined;
  /** The response field to answer instead of the whole response. */
  responseBody: DescField | undefined;
  /** Each path variable's field path ("a.b") → the fields it walks. */
  pathFields: Map<string, DescField[]>;
}

export type Lookup = { kind: "found"; route: Route; bindings: Map<string, string> } | { kind: "method-not-allowed"; allow: string[] } | { kind: "not-found" };

export class RouteError extends Error {}

function patternOf(rule: HttpRule): { httpMethod: string; path: string } | undefined {
  switch (rule.pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return { httpMethod: rule.pattern.case.toUpperCase(), path: rule.pattern.value };
    case "custom":
      return { httpMethod: rule.pattern.value.kind.toUpperCase(), path: rule.pattern.value.path };
    default:
      return undefined;
  }
}

/** The route one HttpRule (not its additional bindings) declares for an RPC. */
export function routeOf(rpc: DescMethod, rule: HttpRule): Route {
  const where = `${rpc.parent.typeName}.${rpc.name}`;
  const pattern = patternOf(rule);
  if (!pattern) throw new RouteError(`${where}: a google.api.http rule has no pattern`);
  if (rpc.methodKind !== "unary") throw new RouteError(`${where}: only unary RPCs can be transcoded, this one is ${rpc.methodKind}`);
  let template: PathTemplate;
  try {
    template = parsePathTemplate(pattern.path);
  } catch (e) {
    throw new RouteError(`${where}: ${(e as TemplateError).message}`);
  }
  const resolve = (path: string[], what: string) => {
    try {
      return resolveFieldPath(rpc.input, path, false);
    } catch (e) {
      throw new RouteError(`${where}: ${what} "${path.join(".")}": ${(e as FieldPathError).message}`);
    }
  };
  const pathFields = new Map<string, DescField[]>();
  for (const variable of template.variables) {
    const chain = resolve(variable.fieldPath, "path variable");
    const leaf = chain[chain.length - 1]!;
    if (!isPathBindable(leaf)) throw new RouteError(`${where}: path variable "${variable.fieldPath.join(".")}" must be a singular scalar or enum field`);
    pathFields.set(variable.fieldPath.join("."), chain);
  }
  let body: Route["body"];
  if (rule.body === "*") body = "*";
  else if (rule.body !== "") {
    const chain = resolve([rule.body], "body");
    body = chain[0]!;
    if ([...pathFields.values()].some((c) => c[0] === body)) throw new RouteError(`${where}: body "${rule.body}" is also bound by the path`);
  }
  const responseBody = rule.responseBody === "" ? undefined : resolveResponseField(rpc, rule.responseBody, where);
  return { httpMethod: pattern.httpMethod, template, rpc, body, responseBody, pathFields };
}

function resolveResponseField(rpc: DescMethod, name: string, where: string): DescField {
  const field = rpc.output.fields.find((f) => f.name === name);
  if (!field) throw new RouteError(`${where}: response_body "${name}": ${rpc.output.typeName} has no such field`);
  return field;
}

/** Every route the services' google.api.http options declare, additional bindings included. */
export function routesOf(services: readonly DescService[]): Route[] {
  const routes: Route[] = [];
  for (const service of services) {
    for (const rpc of service.methods) {
      if (!hasOption(rpc, httpOption)) continue;
      const rule = getOption(rpc, httpOption);
      for (const binding of [rule, ...rule.additionalBindings]) {
        if (binding !== rule && binding.additionalBindings.length > 0) {
          throw new RouteError(`${service.typeName}.${rpc.name}: additional_bindings cannot nest`);
        }
        routes.push(routeOf(rpc, binding));
      }
    }
  }
  return routes;
}

/**
 * Routes, most specific first, checked at construction: two routes that
 * would match exactly the same requests are refused, naming both.
 */
export class RouteTable {
  readonly routes: readonly Route[];

  constructor(routes: readonly Route[]) {
    for (const [i, a] of routes.entries()) {
      for (const b of routes.slice(i + 1)) {
        if (a.httpMethod === b.httpMethod && sameShape(a.template, b.template)) {
          throw new RouteError(
            `conflicting routes: ${a.httpMethod} ${a.template.source} (${a.rpc.parent.typeName}.${a.rpc.name}) and ` +
              `${b.httpMethod} ${b.template.source} (${b.rpc.parent.typeName}.${b.rpc.name}) match the same requests`,
          );
        }
      }
    }
    this.routes = [...routes].sort((a, b) => compareSpecificity(a.template, b.template));
  }

  /**
   * The route for a request, or why there is none. Throws PathError for a
   * malformed path. A HEAD takes the GET route of an RPC without side effects
   * (HTTP answers HEAD wherever GET is safe); a GET that changes something
   * (the original's GET /pick) does not answer HEAD, which monitors and link
   * checkers send freely.
   */
  lookup(httpMethod: string, pathname: string): Lookup {
    const path = splitRequestPath(pathname);
    const allow = new Set<string>();
    for (const route of this.routes) {
      const bindings = matchPath(route.template, path);
      if (!bindings) continue;
      const headToo = route.httpMethod === "GET" && route.rpc.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
      if (route.httpMethod === httpMethod || (httpMethod === "HEAD" && headToo)) return { kind: "found", route, bindings };
      allow.add(route.httpMethod);
      if (headToo) allow.add("HEAD");
    }
    return allow.size > 0 ? { kind: "method-not-allowed", allow: [...allow].sort() } : { kind: "not-found" };
  }
}
