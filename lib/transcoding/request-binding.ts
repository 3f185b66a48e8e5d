// Stage 4b: path bindings, query parameters and the JSON body → the request
// message of the route's RPC.
import { fromJson, type DescField, type JsonObject, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { describeField, type FieldPathError, resolveFieldPath } from "./field-path.js";
import { textToJson } from "./query-values.js";
import type { Route } from "./route-table.js";

/** A request that cannot become the RPC's input; the message names the field. */
export class BindingError extends Error {}

/**
 * Builds the RPC's request message. `body` is the parsed JSON body, or
 * undefined when the request had none.
 */
export function bindRequest(route: Route, bindings: Map<string, string>, query: URLSearchParams, body: JsonValue | undefined): MessageShape<DescMessage> {
  const input = route.rpc.input;
  let json: JsonObject = {};
  if (body !== undefined) {
    if (route.body === undefined)
      throw new BindingError(`${route.httpMethod} ${route.template.source} takes no request body: send the fields as query parameters`);
    if (route.body === "*") {
      if (body === null || typeof body !== "object" || Array.isArray(body))
        throw new BindingError(`the request body must be a JSON object (${input.typeName}), not ${jsonKind(body)}`);
      json = { ...body };
    } else json[route.body.jsonName] = body;
  }

  for (const [fieldPath, value] of bindings) {
    const chain = route.pathFields.get(fieldPath)!;
    setValue(json, chain, convert(chain, value, `path variable ${fieldPath}`), "path");
  }

  for (const name of new Set(query.keys())) {
    let chain: DescField[];
    try {
      chain = resolveFieldPath(input, name.split("."), true);
    } catch (e) {
      throw new BindingError(`unknown query parameter "${name}": ${(e as FieldPathError).message}`);
    }
    const boundBy =
      route.body === "*" || chain[0] === route.body
        ? "the request body"
        : [...route.pathFields.values()].some((p) => p[0] === chain[0])
          ? "the path"
          : undefined;
    if (boundBy) throw new BindingError(`query parameter "${name}" sets a field that ${boundBy} sets`);
    const values = query.getAll(name);
    const leaf = chain[chain.length - 1]!;
    if (leaf.fieldKind !== "list" && values.length > 1)
      throw new BindingError(`query parameter "${name}" is given ${values.length} times but ${describeField(chain)} takes one value`);
    for (const value of values) setValue(json, chain, convert(chain, value, `query parameter "${name}"`), "query");
  }

  try {
    return fromJson(input, json);
  } catch (e) {
    throw new BindingError((e as Error).message);
  }
}

function convert(chain: DescField[], raw: string, what: string): JsonValue {
  const leaf = chain[chain.length - 1]!;
  try {
    const value = textToJson(leaf, raw);
    // A well-known type's own parse error would not say which field it was for.
    const message = leaf.fieldKind === "message" || (leaf.fieldKind === "list" && leaf.listKind === "message") ? leaf.message : undefined;
    if (message) fromJson(message, value);
    return value;
  } catch (e) {
    if (e instanceof Error) throw new BindingError(`${what} (${describeField(chain)}): ${e.message}`);
    throw e;
  }
}

function setValue(json: JsonObject, chain: DescField[], value: JsonValue, from: string): void {
  let target = json;
  for (const field of chain.slice(0, -1)) {
    target[field.jsonName] ??= {};
    const next = target[field.jsonName];
    if (typeof next !== "object" || next === null || Array.isArray(next)) throw new BindingError(`${describeField(chain)} is set twice (${from})`);
    target = next;
  }
  const leaf = chain[chain.length - 1]!;
  if (leaf.fieldKind === "list") {
    target[leaf.jsonName] ??= [];
    const list = target[leaf.jsonName];
    if (!Array.isArray(list)) throw new BindingError(`${describeField(chain)} is set twice (${from})`);
    list.push(value);
  } else {
    // The path wins over the body for the fields it binds (HttpRule: "*" takes what the path does not).
    target[leaf.jsonName] = value;
  }
}

/** What a JSON value that is not an object is, in words (REST here; the RPC paths in decoding-errors.ts). */
export function jsonKind(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return "a string";
  return typeof value === "boolean" ? `a bool (${value})` : `a number (${String(value)})`;
}
