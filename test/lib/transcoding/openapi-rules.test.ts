// The schema's protovalidate rules as JSON Schema keywords, read from the real
// services' schemas: what each field's rules say, and which fields must be given.
import assert from "node:assert/strict";
import type { DescMessage } from "@bufbuild/protobuf";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../../gen/chillybin/v2/chillybin_pb.js";
import { MakeToastieRequestSchema } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { definedOnly, fieldRules, itemRules, messageRulesDescription, valueRulesSchema, zeroValueRefused } from "../../../lib/transcoding/openapi-rules.js";

const NAME_PATTERN = "^[\\p{L}\\p{N}]+([ '-][\\p{L}\\p{N}]+)*$";

function rulesOf(message: DescMessage, name: string) {
  const field = message.fields.find((f) => f.name === name);
  assert.ok(field, name);
  return fieldRules(field);
}

describe("protovalidate rules as JSON Schema (openapi-rules.ts)", () => {
  const fields: Array<[string, DescMessage, string, Record<string, unknown>, boolean]> = [
    [
      "a name: lengths and pattern, and required (an empty one is refused)",
      v1.PickRequestSchema,
      "name",
      { minLength: 1, maxLength: 64, pattern: NAME_PATTERN },
      true,
    ],
    ["a quantity: at least 1, and required (0 is refused)", v1.PickRequestSchema, "quantity", { minimum: 1 }, true],
    ["a customer of v2: lengths and pattern", v2.PickOrderRequestSchema, "customer", { minLength: 1, maxLength: 100, pattern: "^\\S(.*\\S)?$" }, true],
    ["a reference: at most 200 characters, and may be left out", v2.PickOrderRequestSchema, "reference", { maxLength: 200 }, false],
    ["jafflr's customer: at most 100 characters, and may be left out", MakeToastieRequestSchema, "customer", { maxLength: 100 }, false],
    ["ingredients: at most 16 (the items' rules apart), and may be left out", MakeToastieRequestSchema, "ingredients", { maxItems: 16 }, false],
    ["doneness: no keyword (defined_only is said in the enum's values)", MakeToastieRequestSchema, "doneness", {}, false],
  ];
  for (const [what, message, name, keywords, required] of fields) {
    it(what, () => {
      const rules = rulesOf(message, name);
      assert.deepEqual(valueRulesSchema(rules), keywords);
      assert.equal(zeroValueRefused(rules), required);
    });
  }

  it("items: 1 to 32 of them, required, and the rule JSON Schema cannot say (CEL) said in words with its id", () => {
    const schema = valueRulesSchema(rulesOf(v2.PickOrderRequestSchema, "items"));
    assert.equal(schema.minItems, 1);
    assert.equal(schema.maxItems, 32);
    assert.match(String(schema.description), /^Also checked: .*\[items\.unique_ingredients\]\.$/);
    assert.equal(zeroValueRefused(rulesOf(v2.PickOrderRequestSchema, "items")), true);
  });

  it("a repeated field's items have rules of their own", () => {
    assert.deepEqual(valueRulesSchema(itemRules(rulesOf(MakeToastieRequestSchema, "ingredients"))), { minLength: 1, maxLength: 64, pattern: NAME_PATTERN });
  });

  it("enum.defined_only is read", () => {
    assert.equal(definedOnly(rulesOf(MakeToastieRequestSchema, "doneness")), true);
    assert.equal(definedOnly(rulesOf(MakeToastieRequestSchema, "customer")), false);
  });

  it("a message's own CEL rules, in words with their ids; none for a message without", () => {
    assert.equal(
      messageRulesDescription(MakeToastieRequestSchema),
      "Checked for the whole message: ingredients: a toastie needs at least one ingredient [toastie.has_fillings]; ingredients: a toastie needs cheese [toastie.has_cheese].",
    );
    assert.equal(messageRulesDescription(v1.PickRequestSchema), undefined);
  });

  it("a field without rules says nothing and may be left out", () => {
    const rules = rulesOf(v2.PickOrderRequestSchema, "reference");
    assert.ok(rules);
    assert.deepEqual(valueRulesSchema(undefined), {});
    assert.equal(zeroValueRefused(undefined), false);
  });
});
