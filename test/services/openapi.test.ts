// The OpenAPI documents of the REST surface: valid OpenAPI 3.1 (Redocly's
// recommended rules), served by each service at /openapi.json, written fresh to
// gen/openapi, and true: real REST answers, for fixed and generated requests,
// have a status the document declares and a body its schema accepts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import type { OpenApiDocument } from "../../lib/transcoding/index.js";
import { OPENAPI_DIR, openApiDocuments } from "../../scripts/proto/openapi.js";
import { request } from "../support/http.js";
import { useServices } from "../support/services.js";

const DOCUMENTS = openApiDocuments();
type ServiceName = keyof typeof DOCUMENTS;
const SERVICES = Object.keys(DOCUMENTS) as ServiceName[];

/** Checks answers against a document: the status is declared, the body fits its schema. */
function answerChecker(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...document, $id: "openapi.json" });
  const pointerSegment = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");
  return (templatePath: string, method: string, status: number, body: unknown): string | undefined => {
    const responses = document.paths[templatePath]?.[method.toLowerCase()]?.responses as Record<string, unknown> | undefined;
    if (!responses) return `${method} ${templatePath} is not in the document`;
    if (!responses[String(status)]) return `${method} ${templatePath} answered ${status}, which the document does not declare`;
    const validate = ajv.getSchema(
      `openapi.json#/paths/${pointerSegment(templatePath)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`,
    );
    if (!validate) return `no schema for ${status}`;
    return validate(body) ? undefined : `${method} ${templatePath} ${status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`;
  };
}

/** A REST operation of the document, and how to tell whether it accepts a request. */
interface Operation {
  service: ServiceName;
  template: string;
  method: string;
  /** Query parameters by name, with whether each is a list. */
  query: Array<{ name: string; list: boolean; schema: Record<string, unknown> }>;
  /** Whether the document says the request is valid. */
  accepts: (query: Array<[string, string]>, body: unknown) => boolean;
  body?: Record<string, unknown>;
}

/** The document's REST operations (not /health and /openapi.json), each with a validator of requests built from what it declares. */
function operationsOf(service: ServiceName): Operation[] {
  const document = DOCUMENTS[service];
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...document, $id: "openapi.json" });
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    if (template === "/health" || template === "/openapi.json") continue;
    for (const [method, op] of Object.entries(methods) as Array<
      [string, { parameters: Array<Record<string, unknown>>; requestBody?: Record<string, unknown> }]
    >) {
      const params = op.parameters.filter((p) => p.in === "query");
      const query = params.map((p) => ({
        name: String(p.name),
        list: (p.schema as { type?: string }).type === "array",
        schema: p.schema as Record<string, unknown>,
      }));
      const querySchema = {
        type: "object",
        additionalProperties: false,
        properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
        required: params.filter((p) => p.required).map((p) => p.name),
        components: document.components,
      };
      const validateQuery = ajv.compile(JSON.parse(JSON.stringify(querySchema).replaceAll('"#/components/', '"openapi.json#/components/')));
      const bodySchema = (op.requestBody?.content as Record<string, { schema: unknown }> | undefined)?.["application/json"]?.schema as
        | Record<string, unknown>
        | undefined;
      const validateBody = bodySchema && ajv.compile(JSON.parse(JSON.stringify(bodySchema).replaceAll('"#/components/', '"openapi.json#/components/')));
      ops.push({
        service,
        template,
        method: method.toUpperCase(),
        query,
        body: bodySchema,
        accepts(pairs, body) {
          // A query value is text: a whole number where the schema takes integers, a list where it takes arrays (each given once otherwise).
          const values: Record<string, unknown> = {};
          for (const [name, raw] of pairs) {
            const param = query.find((q) => q.name === name);
            const types = [
              ((param?.list ? (param.schema.items as Record<string, unknown>) : param?.schema)?.type as string | string[] | undefined) ?? [],
            ].flat();
            const value = types.includes("integer") && /^-?\d+$/.test(raw) ? Number(raw) : raw;
            if (param?.list) values[name] = [...((values[name] as unknown[] | undefined) ?? []), value];
            else if (name in values) return false;
            else values[name] = value;
          }
          if (!validateQuery(values)) return false;
          return validateBody ? body === undefined || validateBody(body) : body === undefined;
        },
      });
    }
  }
  return ops;
}

/** The CEL rules a document states only in words ("… [toastie.has_cheese]"): a request it calls valid may still break one. */
function rulesInWords(service: ServiceName): Set<string> {
  return new Set([...JSON.stringify(DOCUMENTS[service]).matchAll(/ \[([a-z_]+\.[a-z_.]+)\]/g)].map((m) => m[1]!));
}

describe("OpenAPI documents of the REST paths", function () {
  this.timeout(60_000);
  const services = useServices();

  for (const service of SERVICES) {
    it(`${service}: valid OpenAPI 3.1 (Redocly's recommended rules, no errors)`, async () => {
      const problems = await lintFromString({
        source: JSON.stringify(DOCUMENTS[service]),
        absoluteRef: `/${service}.json`,
        config: await createConfig({ extends: ["recommended"] }),
      });
      assert.deepEqual(
        problems.filter((p) => p.severity === "error").map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`),
        [],
      );
    });

    it(`${service}: gen/openapi/${service}.json is what npm run generate writes now`, () => {
      assert.deepEqual(JSON.parse(readFileSync(`${OPENAPI_DIR}/${service}.json`, "utf8")), DOCUMENTS[service]);
    });

    it(`${service}: GET /openapi.json serves the document, with the running version`, async () => {
      const res = await request(services[service].server.url, "GET", "/openapi.json");
      assert.equal(res.status, 200);
      const served = res.json as OpenApiDocument & { info: { version: string } };
      assert.equal(served.info.version, "test-version");
      assert.deepEqual(Object.keys(served.paths).sort(), Object.keys(DOCUMENTS[service].paths).sort());
      assert.deepEqual(served.components.schemas, DOCUMENTS[service].components.schemas);
    });
  }

  it("the check itself refuses what the document does not say", () => {
    const check = answerChecker(DOCUMENTS.chillybin);
    assert.equal(check("/", "GET", 200, { bread: 10 }), undefined);
    assert.match(check("/", "GET", 200, { bread: "ten" }) ?? "", /must be integer/);
    assert.match(check("/v2/pick", "POST", 200, { id: "1", remaining: 8, extra: true }) ?? "", /must NOT have additional properties/);
    assert.match(check("/", "GET", 418, {}) ?? "", /answered 418, which the document does not declare/);
    assert.match(check("/nowhere", "GET", 200, {}) ?? "", /not in the document/);
    assert.match(check("/pick", "GET", 404, { message: "no code" }) ?? "", /must have required property 'code'/);
  });

  describe("real answers match the document", () => {
    const cases: Array<{ service: ServiceName; method: string; path: string; template: string; body?: unknown }> = [
      { service: "chillybin", method: "GET", path: "/", template: "/" },
      { service: "chillybin", method: "GET", path: "/pick?name=cheese&quantity=1", template: "/pick" },
      { service: "chillybin", method: "POST", path: "/pick?name=ham&quantity=1", template: "/pick" },
      { service: "chillybin", method: "GET", path: "/pick?name=cheese&quantity=0", template: "/pick" },
      { service: "chillybin", method: "GET", path: "/pick?name=cheese&colour=red", template: "/pick" },
      { service: "chillybin", method: "DELETE", path: "/pick", template: "/pick" },
      { service: "chillybin", method: "POST", path: "/v2/pick", template: "/v2/pick", body: { ingredient: "cheese", quantity: 1, customer: "gita" } },
      { service: "chillybin", method: "POST", path: "/v2/pick", template: "/v2/pick", body: { ingredient: "bread", quantity: 99, customer: "gita" } },
      {
        service: "chillybin",
        method: "POST",
        path: "/v2/orders",
        template: "/v2/orders",
        body: { customer: "gita", items: [{ ingredient: "bread", quantity: 2 }], reference: "toastie" },
      },
      { service: "chillybin", method: "POST", path: "/v2/orders", template: "/v2/orders", body: { customer: "gita", items: [] } },
      { service: "chillybin", method: "POST", path: "/restock", template: "/restock" },
      { service: "jafflr", method: "GET", path: "/", template: "/" },
      // The plain routes the document describes beside REST: /health's body is written apart from its schema.
      { service: "chillybin", method: "GET", path: "/health", template: "/health" },
      { service: "jafflr", method: "GET", path: "/health", template: "/health" },
      { service: "jafflr", method: "GET", path: "/openapi.json", template: "/openapi.json" },
      { service: "jafflr", method: "GET", path: "/toastie?i=cheese&doneness=light&customer=kim", template: "/toastie" },
      { service: "jafflr", method: "GET", path: "/toastie?i=ham", template: "/toastie" },
      { service: "jafflr", method: "POST", path: "/toastie?i=cheese&doneness=charred", template: "/toastie" },
    ];
    for (const c of cases) {
      it(`${c.service} ${c.method} ${c.path}`, async () => {
        await services.chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
        const body = c.body === undefined ? undefined : JSON.stringify(c.body);
        const res = await request(services[c.service].server.url, c.method, c.path, { body, headers: body ? { "content-type": "application/json" } : {} });
        const method = c.method === "DELETE" ? "GET" : c.method; // a method the path does not take: its 405 is declared on the path's operations
        assert.equal(answerChecker(DOCUMENTS[c.service])(c.template, method, res.status, res.json), undefined);
      });
    }

    it("states the rules: a generated request the document calls valid is accepted, one it calls invalid is invalid_argument", async () => {
      const text = fc.constantFrom(
        "cheese",
        "bread",
        "vegemite",
        "ham",
        "",
        " ",
        "ch eese",
        "Gruyère",
        "x!",
        "a".repeat(65),
        "b".repeat(101),
        "0",
        "1",
        "-1",
        "99",
      );
      const numberish = fc.constantFrom("0", "1", "2", "-1", "99", "2147483648", "1.5", "one", "");
      const enumish = fc.constantFrom("light", "MEDIUM", "Well-Done", "doneness_burnt", "DONENESS_LIGHT", "2", "0", "9", "charred", "");
      const operations = SERVICES.flatMap(operationsOf);
      const queryOf = (op: Operation) =>
        fc.array(fc.tuple(fc.constantFrom(...op.query.map((q) => q.name), "x"), fc.oneof(text, numberish, enumish)), { maxLength: 5 });
      const jsonValue = fc.oneof(text, fc.constantFrom(0, 1, 2, -1, 99, 2147483648, 1.5, true), fc.array(text, { maxLength: 3 }));
      const item = fc.dictionary(fc.constantFrom("ingredient", "quantity", "x"), jsonValue, { maxKeys: 3 });
      const body = fc.dictionary(
        fc.constantFrom("ingredient", "quantity", "customer", "items", "reference", "x"),
        fc.oneof(jsonValue, fc.array(item, { maxLength: 3 })),
        { maxKeys: 5 },
      );
      const celRules = new Set(SERVICES.flatMap((service) => [...rulesInWords(service)]));
      const requests = fc.constantFrom(...operations).chain((op) => fc.tuple(fc.constant(op), queryOf(op), op.body ? body : fc.constant(undefined)));
      let valid = 0;
      let invalid = 0;
      await fc.assert(
        fc.asyncProperty(requests, async ([op, query, json]) => {
          await services.chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
          const q = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
          const sent = json === undefined ? undefined : JSON.stringify(json);
          const res = await request(services[op.service].server.url, op.method, `${op.template}${q ? `?${q}` : ""}`, {
            body: sent,
            headers: sent ? { "content-type": "application/json" } : {},
          });
          const answer = res.json as { code?: string; details?: Array<{ type: string; debug?: { violations?: Array<{ ruleId?: string }> } }> };
          const refusedInvalid = res.status === 400 && answer.code === "invalid_argument";
          if (op.accepts(query, json)) {
            valid++;
            // Valid by the document: accepted, or refused for something no schema says (stock, an unknown ingredient, a rule stated in words).
            const ruleIds = (answer.details ?? []).flatMap((d) => d.debug?.violations ?? []).map((v) => v.ruleId ?? "");
            assert.ok(
              !refusedInvalid || (ruleIds.length > 0 && ruleIds.every((id) => celRules.has(id))),
              `${op.method} ${op.template}?${q} ${sent ?? ""}: the document calls it valid, the service answered ${res.status} ${res.text}`,
            );
          } else {
            invalid++;
            assert.ok(
              refusedInvalid,
              `${op.method} ${op.template}?${q} ${sent ?? ""}: the document calls it invalid, the service answered ${res.status} ${res.text}`,
            );
          }
        }),
        { numRuns: 150 },
      );
      assert.ok(valid > 10 && invalid > 10, `both kinds were sent: ${valid} valid, ${invalid} invalid`);
    });

    it("for generated query strings on every GET route, and generated bodies on every POST route with a body", async () => {
      const value = fc.oneof(fc.constantFrom("cheese", "bread", "ham", "0", "1", "-1", "light", "burnt", "9999999999", ""), fc.string({ maxLength: 8 }));
      const name = fc.constantFrom("name", "quantity", "i", "ingredients", "doneness", "customer", "x");
      const query = fc.array(fc.tuple(name, value), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));
      const routes = SERVICES.flatMap((service) =>
        Object.entries(DOCUMENTS[service].paths).flatMap(([template, ops]) =>
          Object.keys(ops).map((method) => ({ service, template, method: method.toUpperCase() })),
        ),
      );
      const json = fc.jsonValue({ maxDepth: 2 });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), query, json, async (route, q, body) => {
          await services.chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
          const sendBody = route.method === "POST" && route.template.startsWith("/v2/") ? JSON.stringify(body) : undefined;
          const res = await request(services[route.service].server.url, route.method, `${route.template}${q ? `?${q}` : ""}`, {
            body: sendBody,
            headers: sendBody ? { "content-type": "application/json" } : {},
          });
          const problem = answerChecker(DOCUMENTS[route.service])(route.template, route.method, res.status, res.json);
          assert.equal(problem, undefined);
        }),
        { numRuns: 40 },
      );
    });
  });
});
