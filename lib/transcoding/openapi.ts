// An OpenAPI 3.1 document of the REST surface, from the same google.api.http
// annotations (routesOf) the transcoder routes with: every path and method,
// path and query parameters with their types and enums, request bodies,
// response schemas in proto3 JSON, the schema's protovalidate rules
// (openapi-rules.ts), and the error body and statuses REST answers.
import { type DescEnum, type DescField, type DescMessage, type DescService, ScalarType } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { codeName } from "../codes.js";
import { type Route, routesOf } from "./route-table.js";
import { definedOnly, fieldRules, itemRules, messageRulesDescription, valueRulesSchema, zeroValueRefused } from "./openapi-rules.js";
import { enumQueryDescription, enumQueryPattern } from "./query-values.js";

type Schema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Schema>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Schema> };
};

const INT32 = new Set([ScalarType.INT32, ScalarType.SINT32, ScalarType.SFIXED32, ScalarType.UINT32, ScalarType.FIXED32]);
const INT64 = new Set([ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64, ScalarType.UINT64, ScalarType.FIXED64]);

/** Well-known types whose proto3 JSON is not an object of their fields. */
const WELL_KNOWN: Readonly<Record<string, Schema>> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?\\d+(\\.\\d+)?s$" },
  "google.protobuf.FieldMask": { type: "string" },
  "google.protobuf.Struct": { type: "object" },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array" },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Any": { type: "object", properties: { "@type": { type: "string" } } },
};

/**
 * The statuses REST answers with an error body, and when: only those a client
 * can receive (a caller that went away is logged 499, but nobody reads it).
 * 401 is declared only on the operations that need a bearer token.
 */
const ERROR_STATUSES: Readonly<Record<string, string>> = {
  "400": "invalid_argument (a bad field, query parameter or body) or failed_precondition (not enough stock)",
  "401": "unauthenticated: no bearer token, or the wrong one",
  "404": "not_found (an unknown ingredient)",
  "405": "unimplemented: a known path with another method (the Allow header lists them)",
  "413": "resource_exhausted: a body over the limit",
  "415": "invalid_argument: a body that is not JSON",
  "429": "resource_exhausted: a client over a limit",
  "500": "internal, unknown or data_loss: the server's fault",
  "503": "unavailable: a dependency or the database cannot be reached, or the server is shutting down",
  "504": "deadline_exceeded: the caller's deadline ran out",
};

const ERROR_SCHEMA: Schema = {
  type: "object",
  description: "The Connect error body, the same a Connect client gets.",
  required: ["code"],
  properties: {
    code: {
      type: "string",
      enum: Object.values(Code)
        .filter((c): c is Code => typeof c === "number")
        .map(codeName),
    },
    message: { type: "string" },
    details: {
      type: "array",
      items: {
        type: "object",
        required: ["type", "value"],
        properties: { type: { type: "string" }, value: { type: "string", contentEncoding: "base64" }, debug: {} },
      },
    },
  },
};

const SERVING_STATUS: Schema = { type: "string", enum: ["SERVING", "NOT_SERVING"] };

/** /health's body: the server's status (and why not), its version, and each dependency's. */
const HEALTH_SCHEMA: Schema = {
  type: "object",
  required: ["status", "version"],
  additionalProperties: false,
  properties: {
    status: SERVING_STATUS,
    reason: { type: "string", description: "Why it is not serving." },
    version: { type: "string" },
    dependencies: {
      type: "object",
      description: "What the service calls, by name (jafflr: chillybin), reported without gating its own status.",
      additionalProperties: {
        type: "object",
        required: ["status"],
        additionalProperties: false,
        properties: { status: SERVING_STATUS, reason: { type: "string" } },
      },
    },
  },
};

/** The plain routes every service serves beside REST (lib/server/endpoints). */
const PLAIN_PATHS: Readonly<Record<string, Record<string, Schema>>> = {
  "/health": {
    get: {
      operationId: "health",
      summary: "Whether the service is serving (the same status grpc.health.v1 reports)",
      tags: ["operations"],
      parameters: [],
      responses: {
        "200": { description: "Serving", content: { "application/json": { schema: { $ref: "#/components/schemas/health.Status" } } } },
        "503": {
          description: "Not serving: shutting down, or a readiness check fails (its database out of reach)",
          content: { "application/json": { schema: { $ref: "#/components/schemas/health.Status" } } },
        },
      },
    },
  },
  "/openapi.json": {
    get: {
      operationId: "openapi",
      summary: "This document",
      tags: ["operations"],
      parameters: [],
      responses: {
        "200": { description: "The OpenAPI 3.1 document of the service's REST paths", content: { "application/json": { schema: { type: "object" } } } },
      },
    },
  },
};

class SchemaCollector {
  readonly schemas: Record<string, Schema> = { "connect.Error": ERROR_SCHEMA };

  /** A $ref to the message's schema, collecting it (and what it uses) on first sight. */
  message(desc: DescMessage): Schema {
    const known = WELL_KNOWN[desc.typeName];
    if (known) return known;
    if (desc.typeName.startsWith("google.protobuf.") && desc.typeName.endsWith("Value")) {
      // Wrappers are their one field's JSON, or null.
      return { anyOf: [this.field(desc.fields[0]!), { type: "null" }] };
    }
    if (!this.schemas[desc.typeName]) {
      const properties: Record<string, Schema> = {};
      const required = desc.fields.filter((f) => zeroValueRefused(fieldRules(f))).map((f) => f.jsonName);
      const rules = messageRulesDescription(desc);
      this.schemas[desc.typeName] = {
        type: "object",
        properties,
        additionalProperties: false,
        ...(required.length ? { required } : {}),
        ...(rules ? { description: rules } : {}),
      };
      for (const field of desc.fields) properties[field.jsonName] = this.field(field);
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  }

  /** Names as Connect JSON and REST bodies write them; numbers are accepted too (only the defined ones, when the field says so). */
  enum(desc: DescEnum, onlyDefined = false): Schema {
    const numbers = onlyDefined ? { type: "integer", enum: desc.values.map((v) => v.number) } : { type: "integer" };
    return { anyOf: [{ type: "string", enum: desc.values.map((v) => v.name) }, numbers], title: desc.typeName };
  }

  scalar(type: ScalarType): Schema {
    if (type === ScalarType.STRING) return { type: "string" };
    if (type === ScalarType.BYTES) return { type: "string", contentEncoding: "base64" };
    if (type === ScalarType.BOOL) return { type: "boolean" };
    // The range too: validators do not read format, and the service refuses a number out of it.
    if (INT32.has(type))
      return type === ScalarType.UINT32 || type === ScalarType.FIXED32
        ? { type: "integer", format: "uint32", minimum: 0, maximum: 4294967295 }
        : { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 };
    // 64-bit integers are strings in proto3 JSON (numbers are accepted too).
    if (INT64.has(type)) return { type: ["string", "integer"], format: "int64", pattern: "^-?\\d+$" };
    // float and double: numbers, or "NaN", "Infinity", "-Infinity".
    return { type: ["number", "string"], format: type === ScalarType.FLOAT ? "float" : "double" };
  }

  /** The schema of one field's value, repeated and map fields included, with what its rules say. */
  field(field: DescField): Schema {
    const rules = fieldRules(field);
    switch (field.fieldKind) {
      case "scalar":
        return { ...this.scalar(field.scalar), ...valueRulesSchema(rules) };
      case "enum":
        return { ...this.enum(field.enum, definedOnly(rules)), ...valueRulesSchema(rules) };
      case "message":
        return { ...this.message(field.message), ...valueRulesSchema(rules) };
      case "list": {
        const items = itemRules(rules);
        const item =
          field.listKind === "scalar"
            ? this.scalar(field.scalar)
            : field.listKind === "enum"
              ? this.enum(field.enum, definedOnly(items))
              : this.message(field.message);
        return { type: "array", items: { ...item, ...valueRulesSchema(items) }, ...valueRulesSchema(rules) };
      }
      case "map":
        return {
          type: "object",
          additionalProperties:
            field.mapKind === "scalar" ? this.scalar(field.scalar) : field.mapKind === "enum" ? this.enum(field.enum) : this.message(field.message),
        };
    }
  }

  /**
   * A query parameter's schema: as the field's, except that enums also take
   * the spellings the REST query accepts (query-values.ts: medium, well-done,
   * in any case), as a pattern.
   */
  queryField(field: DescField): Schema {
    const rules = fieldRules(field);
    const spelled = (desc: DescEnum, only: boolean) => ({ type: "string", pattern: enumQueryPattern(desc, only), description: enumQueryDescription(desc) });
    if (field.fieldKind === "enum") return { ...spelled(field.enum, definedOnly(rules)), ...valueRulesSchema(rules), title: field.enum.typeName };
    if (field.fieldKind === "list" && field.listKind === "enum") {
      const items = itemRules(rules);
      return { type: "array", items: spelled(field.enum, definedOnly(items)), ...valueRulesSchema(rules) };
    }
    return this.field(field);
  }
}

/** "/v1/{name=shelves/*}/books:archive" → "/v1/{name}/books:archive": OpenAPI names a variable, not its pattern. */
function openApiPath(route: Route): string {
  return route.template.source.replace(/\{([^}=]+)(=[^}]*)?\}/g, "{$1}");
}

/** Query parameters: request fields neither the path nor the body sets, that one query value can set. */
function queryParameters(route: Route, schemas: SchemaCollector): Schema[] {
  if (route.body === "*") return [];
  const bound = new Set([...route.pathFields.values()].map((fields) => fields[0]!.name));
  if (route.body) bound.add(route.body.name);
  const params: Schema[] = [];
  for (const field of route.rpc.input.fields) {
    if (bound.has(field.name) || field.fieldKind === "map") continue;
    if ((field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) && !WELL_KNOWN[field.message.typeName]) continue;
    const schema = schemas.queryField(field);
    const required = zeroValueRefused(fieldRules(field));
    params.push({ name: field.jsonName, in: "query", required, schema, ...(field.fieldKind === "list" ? { style: "form", explode: true } : {}) });
  }
  return params;
}

function operation(route: Route, index: number, schemas: SchemaCollector, bearer: ReadonlySet<string>): Schema {
  const rpc = route.rpc;
  const pathParameters = [...route.pathFields].map(([name, fields]) => ({ name, in: "path", required: true, schema: schemas.field(fields.at(-1)!) }));
  const response = route.responseBody ? schemas.field(route.responseBody) : schemas.message(rpc.output);
  const body = route.body === "*" ? schemas.message(rpc.input) : route.body ? schemas.field(route.body) : undefined;
  const error = { description: "", content: { "application/json": { schema: { $ref: "#/components/schemas/connect.Error" } } } };
  // The request's own rules (CEL, across fields): said here too, where its fields are query parameters.
  const rules = messageRulesDescription(rpc.input);
  return {
    operationId: `${rpc.parent.typeName}.${rpc.name}${index ? `_${index}` : ""}`,
    summary: `${rpc.parent.typeName}.${rpc.name}`,
    ...(rules ? { description: rules } : {}),
    tags: [rpc.parent.typeName],
    ...(rpc.deprecated ? { deprecated: true } : {}),
    ...(bearer.has(`${rpc.parent.typeName}/${rpc.name}`) ? { security: [{ bearer: [] }] } : {}),
    parameters: [...pathParameters, ...queryParameters(route, schemas)],
    ...(body ? { requestBody: { required: false, content: { "application/json": { schema: body } } } } : {}),
    responses: {
      "200": { description: "OK", content: { "application/json": { schema: response } } },
      ...Object.fromEntries(
        Object.entries(ERROR_STATUSES)
          .filter(([status]) => status !== "401" || bearer.has(`${rpc.parent.typeName}/${rpc.name}`))
          .map(([status, when]) => [status, { ...error, description: when }]),
      ),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the REST routes the services' google.api.http
 * options declare. `bearerRpcs` ("package.Service/Method") need an
 * Authorization: Bearer token; every other operation none.
 */
export function openApiDocument(services: readonly DescService[], info: { title: string; version: string; bearerRpcs?: readonly string[] }): OpenApiDocument {
  const bearer = new Set(info.bearerRpcs ?? []);
  const schemas = new SchemaCollector();
  const paths: OpenApiDocument["paths"] = {};
  const seen = new Map<string, number>();
  for (const route of routesOf(services)) {
    const id = `${route.rpc.parent.typeName}.${route.rpc.name}`;
    const index = seen.get(id) ?? 0;
    seen.set(id, index + 1);
    const path = openApiPath(route);
    paths[path] ??= {};
    const item = paths[path];
    item[route.httpMethod.toLowerCase()] = operation(route, index, schemas, bearer);
  }
  Object.assign(paths, PLAIN_PATHS);
  schemas.schemas["health.Status"] = HEALTH_SCHEMA;
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: "The REST paths, transcoded to the same RPCs Connect and gRPC clients call." },
    // Relative to where the document is served: each service serves its own at /openapi.json.
    servers: [{ url: "/" }],
    // No authentication, except where an operation says otherwise.
    security: [{}],
    paths,
    components: { schemas: schemas.schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
