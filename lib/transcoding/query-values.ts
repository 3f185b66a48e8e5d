// Stage 4a: one query parameter (or path variable) value, as text, to the
// proto3 JSON value of its field; protobuf-es's fromJson then checks formats,
// so both paths share one set of rules (integer ranges are checked here, to
// say what was wrong in the query's own words).
import { ScalarType, type DescEnum, type DescField, type JsonValue } from "@bufbuild/protobuf";
import { INTEGER_RANGES } from "./field-path.js";

export class ValueError extends Error {}

/** Well-known message types whose JSON form is a string. */
const STRING_MESSAGES = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"]);

/** The JSON value of `raw` for a (singular or repeated) field. */
export function textToJson(field: DescField, raw: string): JsonValue {
  switch (field.fieldKind) {
    case "scalar":
      return scalarToJson(field.scalar, raw);
    case "enum":
      return enumToJson(field.enum, raw);
    case "list":
      if (field.listKind === "scalar") return scalarToJson(field.scalar, raw);
      if (field.listKind === "enum") return enumToJson(field.enum, raw);
      return messageToJson(field.message.typeName, field.message.fields[0], raw);
    case "message":
      return messageToJson(field.message.typeName, field.message.fields[0], raw);
    case "map":
      throw new ValueError("map fields cannot be set from the query; send a JSON body");
  }
}

function messageToJson(typeName: string, wrapped: DescField | undefined, raw: string): JsonValue {
  if (STRING_MESSAGES.has(typeName)) return raw;
  // Wrappers (google.protobuf.Int32Value, …) take their one field's form.
  if (typeName.startsWith("google.protobuf.") && typeName.endsWith("Value") && wrapped?.fieldKind === "scalar") {
    return scalarToJson(wrapped.scalar, raw);
  }
  throw new ValueError(`a ${typeName} cannot be set from one query value; set its fields (name.field=…) or send a JSON body`);
}

function scalarToJson(type: ScalarType, raw: string): JsonValue {
  if (type === ScalarType.STRING || type === ScalarType.BYTES) return raw;
  if (type === ScalarType.BOOL) {
    const lower = raw.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
    throw new ValueError(`"${raw}" is not a bool (true or false)`);
  }
  const range = INTEGER_RANGES.get(type);
  if (range) {
    if (!/^-?\d+$/.test(raw)) throw new ValueError(`"${raw}" is not a whole number`);
    checkRange(raw, range.name, range);
    return raw; // a JSON string: no 64-bit precision lost
  }
  // float and double: numbers, or NaN / Infinity / -Infinity as proto3 JSON writes them
  if (!/^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity)$/.test(raw)) throw new ValueError(`"${raw}" is not a number`);
  return raw;
}

/** An enum's numbers are int32s, whatever its values. */
const ENUM_RANGE = INTEGER_RANGES.get(ScalarType.INT32)!;

/**
 * Refuses a whole number outside its type's range, in the query's words
 * (fromJson would say "from JSON", of a value the caller sent as text).
 */
function checkRange(raw: string, type: string, range: { min: bigint; max: bigint }): void {
  const value = BigInt(raw);
  if (value < range.min || value > range.max) throw new ValueError(`${raw} is out of range for ${type} (${range.min} to ${range.max})`);
}

/** The prefix buf lint requires of an enum's values: DONENESS_ for Doneness. */
function enumPrefix(desc: DescEnum): string {
  return `${desc.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_`;
}

/** A value's name as the original REST API spelled it: without the prefix, lower case, "-" for "_" (well-done). */
function shortSpelling(desc: DescEnum, name: string): string {
  const prefix = enumPrefix(desc);
  return name.startsWith(prefix) ? name.slice(prefix.length).toLowerCase().replace(/_/g, "-") : name;
}

/**
 * An enum by number, by full name (DONENESS_MEDIUM), or by the name without
 * the enum's prefix in any case, with "-" for "_" (medium, well-done): how the
 * original REST API spelled them, while buf lint requires the prefix.
 */
function enumToJson(desc: DescEnum, raw: string): JsonValue {
  if (/^-?\d+$/.test(raw)) {
    checkRange(raw, `the enum ${desc.name}, an int32`, ENUM_RANGE);
    return Number(raw);
  }
  const wanted = raw.toUpperCase().replace(/-/g, "_");
  const prefix = enumPrefix(desc);
  const value = desc.values.find((v) => v.name === raw || v.name === wanted || v.name === prefix + wanted);
  if (value) return value.name;
  // Listed as the original spelled them (well-done), which is also how they are accepted.
  throw new ValueError(`"${raw}" is not a ${desc.name}; one of ${desc.values.map((v) => shortSpelling(desc, v.name)).join(", ")}`);
}

/** A pattern (unanchored) of the decimal texts of 0 to `max`, leading zeros allowed. */
function upToPattern(max: bigint): string {
  const digits = max.toString();
  // Fewer digits than max; then max's first i digits, a smaller one, any rest; then max itself.
  const shorter = digits.length > 1 ? [`\\d{1,${digits.length - 1}}`] : [];
  const smaller = [...digits].flatMap((digit, i) => {
    if (digit === "0") return [];
    const rest = digits.length - 1 - i;
    const below = digit === "1" ? "0" : `[0-${Number(digit) - 1}]`;
    return [`${digits.slice(0, i)}${below}${rest > 1 ? `\\d{${rest}}` : rest === 1 ? "\\d" : ""}`];
  });
  return `0*(?:${[...shorter, ...smaller, digits].join("|")})`;
}

/**
 * The spellings enumToJson accepts, as a JSON Schema (ECMA-262) pattern for
 * the OpenAPI document: each name with or without its prefix, in any case,
 * "-" or "_" between words; and numbers (int32s, or only the defined ones when `onlyDefined`).
 */
export function enumQueryPattern(desc: DescEnum, onlyDefined: boolean): string {
  const prefix = enumPrefix(desc);
  const anyCase = (text: string) =>
    [...text].map((c) => (c === "_" || c === "-" ? "[-_]" : c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join("");
  const names = desc.values.map((v) => (v.name.startsWith(prefix) ? `(?:${anyCase(prefix)})?${anyCase(v.name.slice(prefix.length))}` : anyCase(v.name)));
  const numbers = onlyDefined ? desc.values.map((v) => String(v.number)).join("|") : `${upToPattern(ENUM_RANGE.max)}|-${upToPattern(-ENUM_RANGE.min)}`;
  return `^(?:${names.join("|")}|${numbers})$`;
}

/** What a query parameter of the enum takes, in words, for the OpenAPI document. */
export function enumQueryDescription(desc: DescEnum): string {
  return `One of ${desc.values.map((v) => shortSpelling(desc, v.name)).join(", ")} (any case, with or without the ${enumPrefix(desc)} prefix), or its number.`;
}
