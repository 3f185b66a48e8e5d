// The schema's protovalidate rules as JSON Schema, for the OpenAPI document:
// what JSON Schema can say (lengths, patterns, bounds, item counts, defined
// enum values) as its keywords, the rest (CEL) in descriptions. A field whose
// zero value breaks its rules (an empty name, a quantity of 0) is required:
// proto3 JSON leaves zero values out, and the service refuses them.
import { type DescField, type DescMessage, getOption, hasOption } from "@bufbuild/protobuf";
import { field as fieldRulesOption, type FieldRules, message as messageRulesOption, type Rule } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

type Schema = Record<string, unknown>;

/** The field's rules as written in the schema, undefined when it has none. */
export function fieldRules(field: DescField): FieldRules | undefined {
  return hasOption(field, fieldRulesOption) ? getOption(field, fieldRulesOption) : undefined;
}

/** CEL rules, said in words: their messages, with their ids. */
function celDescription(rules: readonly Rule[]): string | undefined {
  if (rules.length === 0) return undefined;
  return rules.map((r) => `${r.message || r.expression} [${r.id}]`).join("; ");
}

/** The bounds a number's rules set (int32.gte, double.lt…), as JSON Schema keywords; none for other rules. */
function numberBounds(rules: FieldRules): { minimum?: number; exclusiveMinimum?: number; maximum?: number; exclusiveMaximum?: number } {
  const value = rules.type.value;
  if (!value || !("greaterThan" in value) || !("lessThan" in value)) return {};
  const { greaterThan: gt, lessThan: lt } = value;
  // Timestamps and durations have bounds too, as messages: JSON Schema cannot compare those.
  const numeric = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  if (!numeric(gt.value) && !numeric(lt.value)) return {};
  return {
    ...(gt.case === "gte" ? { minimum: Number(gt.value) } : gt.case === "gt" ? { exclusiveMinimum: Number(gt.value) } : {}),
    ...(lt.case === "lte" ? { maximum: Number(lt.value) } : lt.case === "lt" ? { exclusiveMaximum: Number(lt.value) } : {}),
  };
}

/** The keywords of one value's rules (a field's, or a repeated field's items'). */
export function valueRulesSchema(rules: FieldRules | undefined): Schema {
  if (!rules) return {};
  const schema: Schema = {};
  const { type } = rules;
  switch (type.case) {
    case "string": {
      const s = type.value;
      if (s.minLen > 0n) schema.minLength = Number(s.minLen);
      if (s.maxLen > 0n) schema.maxLength = Number(s.maxLen);
      if (s.len > 0n) schema.minLength = schema.maxLength = Number(s.len);
      if (s.pattern) schema.pattern = s.pattern;
      if (s.in.length > 0) schema.enum = [...s.in];
      break;
    }
    case "repeated": {
      const r = type.value;
      if (r.minItems > 0n) schema.minItems = Number(r.minItems);
      if (r.maxItems > 0n) schema.maxItems = Number(r.maxItems);
      if (r.unique) schema.uniqueItems = true;
      break;
    }
    default:
      Object.assign(schema, numberBounds(rules));
  }
  const cel = celDescription(rules.cel);
  if (cel) schema.description = `Also checked: ${cel}.`;
  return schema;
}

/** A repeated field's items' rules, undefined when it has none. */
export function itemRules(rules: FieldRules | undefined): FieldRules | undefined {
  return rules?.type.case === "repeated" ? rules.type.value.items : undefined;
}

/** Whether an enum field takes only the values the enum defines (enum.defined_only). */
export function definedOnly(rules: FieldRules | undefined): boolean {
  return rules?.type.case === "enum" && rules.type.value.definedOnly;
}

/** Whether the field's zero value (what proto3 JSON leaves out) breaks its rules: then it must be given. */
export function zeroValueRefused(rules: FieldRules | undefined): boolean {
  if (!rules) return false;
  if (rules.required) return true;
  const { type } = rules;
  switch (type.case) {
    case "string":
      return type.value.minLen > 0n || type.value.len > 0n || (type.value.pattern !== "" && !new RegExp(type.value.pattern, "u").test(""));
    case "repeated":
      return type.value.minItems > 0n;
    default: {
      const bounds = numberBounds(rules);
      return (bounds.minimum ?? 0) > 0 || (bounds.exclusiveMinimum ?? -1) >= 0 || (bounds.maximum ?? 0) < 0 || (bounds.exclusiveMaximum ?? 1) <= 0;
    }
  }
}

/** A message's own CEL rules, in words, for its schema's description. */
export function messageRulesDescription(desc: DescMessage): string | undefined {
  if (!hasOption(desc, messageRulesOption)) return undefined;
  const cel = celDescription(getOption(desc, messageRulesOption).cel);
  return cel && `Checked for the whole message: ${cel}.`;
}
