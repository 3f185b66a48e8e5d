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

/** An integer type's range: its name as .proto files spell it (int32…), and its least and greatest values. */
const int = (type: ScalarType, bits: number, signed: boolean): [ScalarType, { name: string; min: bigint; max: bigint }] => [
  type,
  {
    name: ScalarType[type].toLowerCase(),
    min: signed ? -(2n ** BigInt(bits - 1)) : 0n,
    max: signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n,
  },
];

/** Each integer type's range, as its wire type holds it. */
export const INTEGER_RANGES: ReadonlyMap<ScalarType, { name: string; min: bigint; max: bigint }> = new Map([
  int(ScalarType.INT32, 32, true),
  int(ScalarType.SINT32, 32, true),
  int(ScalarType.SFIXED32, 32, true),
  int(ScalarType.UINT32, 32, false),
  int(ScalarType.FIXED32, 32, false),
  int(ScalarType.INT64, 64, true),
  int(ScalarType.SINT64, 64, true),
  int(ScalarType.SFIXED64, 64, true),
  int(ScalarType.UINT64, 64, false),
  int(ScalarType.FIXED64, 64, false),
]);
