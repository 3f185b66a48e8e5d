// A FileDescriptorProto printed back as .proto source. What buf needs to
// compile a file that imports one whose source no npm package ships but whose
// descriptor one embeds (buf/validate/validate.proto, inside
// @bufbuild/protovalidate). It prints the constructs proto2 and proto3 files
// use and throws on anything else (editions, services, groups, option kinds
// it does not know), so a new construct fails the build instead of printing
// a different file; test/ci/staged-protos.test.ts compiles the output with buf
// and compares the result with the embedded descriptor.
import { getExtension, isFieldSet, toJson, type DescMessage, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  type FileDescriptorProto,
  FileOptionsSchema,
} from "@bufbuild/protobuf/wkt";

/** Field numbers run to 2^29 - 1; an exclusive range end of 2^29 is written `max`. */
const MAX_FIELD_NUMBER_EXCLUSIVE = 536_870_912;

const SCALAR_TYPE_NAMES: Partial<Record<FieldDescriptorProto_Type, string>> = {
  [FieldDescriptorProto_Type.DOUBLE]: "double",
  [FieldDescriptorProto_Type.FLOAT]: "float",
  [FieldDescriptorProto_Type.INT64]: "int64",
  [FieldDescriptorProto_Type.UINT64]: "uint64",
  [FieldDescriptorProto_Type.INT32]: "int32",
  [FieldDescriptorProto_Type.FIXED64]: "fixed64",
  [FieldDescriptorProto_Type.FIXED32]: "fixed32",
  [FieldDescriptorProto_Type.BOOL]: "bool",
  [FieldDescriptorProto_Type.STRING]: "string",
  [FieldDescriptorProto_Type.BYTES]: "bytes",
  [FieldDescriptorProto_Type.UINT32]: "uint32",
  [FieldDescriptorProto_Type.SFIXED32]: "sfixed32",
  [FieldDescriptorProto_Type.SFIXED64]: "sfixed64",
  [FieldDescriptorProto_Type.SINT32]: "sint32",
  [FieldDescriptorProto_Type.SINT64]: "sint64",
};

class Unsupported extends Error {
  constructor(file: string, what: string) {
    super(`${file}: cannot print ${what} as .proto source (scripts/proto/proto-source.ts supports what it needs so far)`);
  }
}

/** A string literal in .proto syntax: escapes for quotes, backslashes and control characters; other text as is (UTF-8). */
export function protoString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The json_name protoc derives from a field name; printed only when a file sets another. */
function defaultJsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, "");
}

/** A message value in the text format option values use: `{ a: 1 b: { c: "x" } }`. */
function textFormat(message: ReflectMessage): string {
  const parts: string[] = [];
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const values = field.fieldKind === "list" ? [...message.get(field)] : [message.get(field)];
    for (const value of values) {
      if (field.fieldKind === "map") throw new Error(`map field ${field.name} in an option value`);
      const isMessage = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message");
      parts.push(
        `${field.name}: ${isMessage ? textFormat(value as ReflectMessage) : scalarText(value, field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum") ? field.enum : undefined)}`,
      );
    }
  }
  return `{${parts.length ? ` ${parts.join(" ")} ` : ""}}`;
}

function scalarText(value: unknown, enumDesc?: { values: readonly { number: number; name: string }[] }): string {
  if (enumDesc) return enumDesc.values.find((v) => v.number === value)?.name ?? String(value);
  if (typeof value === "string") return protoString(value);
  if (value instanceof Uint8Array) return protoString(String.fromCharCode(...value));
  return String(value);
}

/**
 * The options of one element, as `name = value` pairs: standard scalar and
 * enum options by name, extensions as `(full.name) = <text format>`.
 */
function optionPairs(file: string, schema: DescMessage, options: Message | undefined, registry: Registry): string[] {
  if (!options) return [];
  const pairs: string[] = [];
  const r = reflect(schema, options);
  for (const field of r.fields) {
    if (!r.isSet(field)) continue;
    if (field.fieldKind === "scalar") pairs.push(`${field.name} = ${scalarText(r.get(field))}`);
    else if (field.fieldKind === "enum") pairs.push(`${field.name} = ${scalarText(r.get(field), field.enum)}`);
    else throw new Unsupported(file, `option ${schema.typeName}.${field.name}`);
  }
  // Extensions arrive as unknown fields; the registry names them.
  const json = toJson(schema, options, { registry }) as Record<string, JsonValue>;
  for (const key of Object.keys(json).filter((k) => k.startsWith("["))) {
    const name = key.slice(1, -1);
    const ext = registry.getExtension(name);
    if (!ext) throw new Unsupported(file, `option ${key}: not in the registry`);
    if (ext.fieldKind !== "message") throw new Unsupported(file, `non-message extension option ${name}`);
    pairs.push(`(${name}) = ${textFormat(reflect(ext.message, getExtension(options, ext) as Message))}`);
  }
  return pairs;
}

function fieldType(field: FieldDescriptorProto): string {
  if (field.type === FieldDescriptorProto_Type.MESSAGE || field.type === FieldDescriptorProto_Type.ENUM) return field.typeName;
  const name = SCALAR_TYPE_NAMES[field.type];
  if (!name) throw new Error(`field ${field.name}: type ${FieldDescriptorProto_Type[field.type]}`);
  return name;
}

interface Printer {
  file: string;
  proto3: boolean;
  registry: Registry;
  lines: string[];
}

function fieldLine(p: Printer, field: FieldDescriptorProto, inOneof: boolean): string {
  if (field.type === FieldDescriptorProto_Type.GROUP) throw new Unsupported(p.file, `group ${field.name}`);
  if (field.proto3Optional) throw new Unsupported(p.file, `proto3 optional ${field.name}`);
  let label = "";
  if (!inOneof) {
    if (field.label === FieldDescriptorProto_Label.REPEATED) label = "repeated ";
    else if (field.label === FieldDescriptorProto_Label.REQUIRED) label = "required ";
    else if (!p.proto3) label = "optional ";
  }
  const options = optionPairs(p.file, FieldOptionsSchema, field.options, p.registry);
  if (field.defaultValue !== undefined && field.defaultValue !== "") {
    options.unshift(`default = ${field.type === FieldDescriptorProto_Type.STRING ? protoString(field.defaultValue) : field.defaultValue}`);
  }
  if (field.jsonName && field.jsonName !== defaultJsonName(field.name)) options.unshift(`json_name = ${protoString(field.jsonName)}`);
  return `${label}${fieldType(field)} ${field.name} = ${field.number}${options.length ? ` [${options.join(", ")}]` : ""};`;
}

function ranges(rs: readonly { start?: number; end?: number }[], endExclusive: boolean): string {
  return rs
    .map(({ start = 0, end = 0 }) => {
      const last = endExclusive ? end - 1 : end;
      if (endExclusive && end === MAX_FIELD_NUMBER_EXCLUSIVE) return `${start} to max`;
      return last === start ? `${start}` : `${start} to ${last}`;
    })
    .join(", ");
}

function printEnum(p: Printer, e: EnumDescriptorProto, indent: string): void {
  if (e.options) throw new Unsupported(p.file, `options of enum ${e.name}`);
  p.lines.push(`${indent}enum ${e.name} {`);
  for (const v of e.value) {
    if (v.options) throw new Unsupported(p.file, `options of enum value ${v.name}`);
    p.lines.push(`${indent}  ${v.name} = ${v.number};`);
  }
  if (e.reservedRange.length) p.lines.push(`${indent}  reserved ${ranges(e.reservedRange, false)};`);
  if (e.reservedName.length) p.lines.push(`${indent}  reserved ${e.reservedName.map(protoString).join(", ")};`);
  p.lines.push(`${indent}}`);
}

function printMessage(p: Printer, m: DescriptorProto, indent: string): void {
  if (m.options) throw new Unsupported(p.file, `options of message ${m.name}`);
  if (m.extension.length) throw new Unsupported(p.file, `extensions declared inside message ${m.name}`);
  const inner = `${indent}  `;
  p.lines.push(`${indent}message ${m.name} {`);
  // Fields in declaration order; a oneof's fields are printed together where its first one is.
  // (Descriptors are proto2: an unset oneof_index reads 0, so ask whether it is set.)
  const oneofOf = (field: FieldDescriptorProto) => (isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex) ? field.oneofIndex : undefined);
  const printedOneofs = new Set<number>();
  for (const field of m.field) {
    if (oneofOf(field) === undefined) {
      p.lines.push(`${inner}${fieldLine(p, field, false)}`);
      continue;
    }
    const index = field.oneofIndex;
    if (printedOneofs.has(index)) continue;
    printedOneofs.add(index);
    const oneof = m.oneofDecl[index];
    if (!oneof || oneof.options) throw new Unsupported(p.file, `oneof ${oneof?.name} of ${m.name} (options)`);
    p.lines.push(`${inner}oneof ${oneof.name} {`);
    for (const member of m.field.filter((f) => oneofOf(f) === index)) p.lines.push(`${inner}  ${fieldLine(p, member, true)}`);
    p.lines.push(`${inner}}`);
  }
  for (const nested of m.nestedType) {
    if (nested.options?.mapEntry) throw new Unsupported(p.file, `map field in ${m.name}`);
    printMessage(p, nested, inner);
  }
  for (const nested of m.enumType) printEnum(p, nested, inner);
  for (const range of m.extensionRange) if (range.options) throw new Unsupported(p.file, `options of an extension range of ${m.name}`);
  if (m.extensionRange.length) p.lines.push(`${inner}extensions ${ranges(m.extensionRange, true)};`);
  if (m.reservedRange.length) p.lines.push(`${inner}reserved ${ranges(m.reservedRange, true)};`);
  if (m.reservedName.length) p.lines.push(`${inner}reserved ${m.reservedName.map(protoString).join(", ")};`);
  p.lines.push(`${indent}}`);
}

/**
 * The file as .proto source. `registry` must know the extensions its options
 * use (for validate.proto: its own), so they are printed by name.
 */
export function protoSource(file: FileDescriptorProto, registry: Registry, header: string[] = []): string {
  const syntax = file.syntax || "proto2";
  if (syntax !== "proto2" && syntax !== "proto3") throw new Unsupported(file.name, `syntax ${syntax}`);
  if (file.service.length) throw new Unsupported(file.name, "services");
  if (file.publicDependency.length || file.weakDependency.length) throw new Unsupported(file.name, "public or weak imports");
  const p: Printer = { file: file.name, proto3: syntax === "proto3", registry, lines: [] };
  if (header.length) p.lines.push(...header.map((line) => `// ${line}`.trimEnd()), "");
  p.lines.push(`syntax = ${protoString(syntax)};`, "", `package ${file.package};`, "");
  for (const dependency of file.dependency) p.lines.push(`import ${protoString(dependency)};`);
  if (file.dependency.length) p.lines.push("");
  for (const pair of optionPairs(file.name, FileOptionsSchema, file.options, registry)) p.lines.push(`option ${pair};`);
  for (const m of file.messageType) {
    p.lines.push("");
    printMessage(p, m, "");
  }
  for (const e of file.enumType) {
    p.lines.push("");
    printEnum(p, e, "");
  }
  // Extensions, grouped by the message they extend, in declaration order.
  const extendees = [...new Set(file.extension.map((x) => x.extendee))];
  for (const extendee of extendees) {
    p.lines.push("", `extend ${extendee} {`);
    for (const x of file.extension.filter((e) => e.extendee === extendee)) p.lines.push(`  ${fieldLine(p, x, false)}`);
    p.lines.push("}");
  }
  return `${p.lines.join("\n")}\n`;
}
