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

const int = (name: string, bits: number, signed: boolean) => ({
  name,
  min: signed ? -(2n ** BigInt(bits - 1)) : 0n,
  max: signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n,
});

/** Each integer type's range, as its wire type holds it. */
export const INTEGER_RANGES: ReadonlyMap<ScalarType, { name: string; min: bigint; max: bigint }> = new Map([
  [ScalarType.INT32, int("int32", 32, true)],
  [ScalarType.SINT32, int("sint32", 32, true)],
  [ScalarType.SFIXED32, int("sfixed32", 32, true)],
  [ScalarType.UINT32, int("uint32", 32, false)],
  [ScalarType.FIXED32, int("fixed32", 32, false)],
  [ScalarType.INT64, int("int64", 64, true)],
  [ScalarType.SINT64, int("sint64", 64, true)],
  [ScalarType.SFIXED64, int("sfixed64", 64, true)],
  [ScalarType.UINT64, int("uint64", 64, false)],
  [ScalarType.FIXED64, int("fixed64", 64, false)],
]);
