import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";

export class FieldPathError extends Error {}

/**
 * Resolves "a.b.c" to the fields it walks through. Each step names a field by
 * its proto name or (for query parameters) its JSON name; every step but the
 * last must be a singular message field.
 */
export function resolveFieldPath(message: DescMessage, path: readonly string[], allowJsonName: boolean): DescField[] {
  const chain: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const [i, name] of path.entries()) {
    if (!current) throw new FieldPathError(`"${path.slice(0, i).join(".")}" is not a message, so "${path.join(".")}" names nothing`);
    const field: DescField | undefined = current.fields.find((f) => f.name === name || (allowJsonName && f.jsonName === name));
    if (!field) throw new FieldPathError(`${current.typeName} has no field "${name}"`);
    chain.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return chain;
}

/** Can a path variable be bound to this field? (one value, text-like) */
export function isPathBindable(field: DescField): boolean {
  return field.fieldKind === "scalar" || field.fieldKind === "enum";
}

/** Names a field for error messages as a caller wrote it. */
export function describeField(chain: readonly DescField[]): string {
  return chain.map((f) => f.name).join(".");
}

export const INTEGER_TYPES = new Set([
  ScalarType.INT32,
  ScalarType.SINT32,
  ScalarType.SFIXED32,
  ScalarType.UINT32,
  ScalarType.FIXED32,
  ScalarType.INT64,
  ScalarType.SINT64,
  ScalarType.SFIXED64,
  ScalarType.UINT64,
  ScalarType.FIXED64,
]);
