// The .proto files npm ci stages into node_modules/.staged-proto (buf.yaml's
// module) from installed packages: buf/validate/validate.proto printed from
// the descriptor @bufbuild/protovalidate embeds, and the gRPC health API under
// its canonical name. Checked against the packages, through buf itself.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { clearField, create, createRegistry, fromBinary, type MessageInitShape, type Registry, toJson } from "@bufbuild/protobuf";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  type FieldDescriptorProto,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { protoSource, protoString } from "../../scripts/proto/proto-source.js";
import { STAGE_DIR, stagedProtos, stageProtos } from "../../scripts/proto/staged-protos.js";

const run = promisify(execFile);
const BUF = path.resolve("node_modules/.bin/buf");

/** Compiles .proto sources with buf (a workspace of its own) and answers their descriptors, without source info. */
async function compile(files: Record<string, string>): Promise<FileDescriptorProto[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "staged-protos-"));
  try {
    writeFileSync(path.join(dir, "buf.yaml"), "version: v2\n");
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    await run(BUF, ["build", "--exclude-source-info", "-o", "image.binpb"], { cwd: dir });
    return fromBinary(FileDescriptorSetSchema, readFileSync(path.join(dir, "image.binpb"))).file.filter((f) => f.name in files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** protoc's json_name for a field name: each letter after an underscore upper-cased, underscores dropped. */
const defaultJsonName = (name: string) => name.replace(/_+([a-z]?)/g, (_, c: string) => c.toUpperCase());

/** A descriptor as JSON, extensions named through `registry`; a default json_name left out (buf fills it in, descriptors built by hand may not). */
function comparable(file: FileDescriptorProto, registry?: Registry): unknown {
  const copy = create(FileDescriptorProtoSchema, file);
  const clearDefault = (f: FieldDescriptorProto) => {
    if (f.jsonName === defaultJsonName(f.name)) clearField(f, FieldDescriptorProtoSchema.field.jsonName);
  };
  const strip = (messages: typeof copy.messageType) => {
    for (const m of messages) {
      m.field.forEach(clearDefault);
      strip(m.nestedType);
    }
  };
  strip(copy.messageType);
  copy.extension.forEach(clearDefault);
  copy.sourceCodeInfo = undefined;
  return toJson(FileDescriptorProtoSchema, copy, { registry });
}

describe("staged .proto files (node_modules/.staged-proto)", function () {
  this.timeout(60_000);

  it("buf/validate/validate.proto, compiled by buf, is exactly the descriptor @bufbuild/protovalidate embeds", async () => {
    const registry = createRegistry(file_buf_validate_validate);
    const name = "buf/validate/validate.proto";
    const [built] = await compile({ [name]: stagedProtos()[name]! });
    assert.ok(built, "buf compiled it");
    assert.deepEqual(comparable(built, registry), comparable(file_buf_validate_validate.proto, registry));
  });

  it("grpc/health/v1/health.proto is grpc-health-check's file, under its canonical name", () => {
    assert.equal(stagedProtos()["grpc/health/v1/health.proto"], readFileSync("node_modules/grpc-health-check/proto/health/v1/health.proto", "utf8"));
  });

  it("what npm ci staged is what the installed packages give now (reinstalling refreshes it)", () => {
    for (const [name, text] of Object.entries(stagedProtos())) assert.equal(readFileSync(path.join(STAGE_DIR, name), "utf8"), text, name);
  });

  it("stageProtos writes every file under the folder it is given", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stage-"));
    try {
      const names = stageProtos(dir);
      assert.deepEqual(names.sort(), Object.keys(stagedProtos()).sort());
      for (const name of names) assert.equal(readFileSync(path.join(dir, name), "utf8"), stagedProtos()[name]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("protoSource: a descriptor printed as .proto source that buf compiles back to the same descriptor", function () {
  this.timeout(60_000);
  const field = (name: string, number: number, type: Type, more: MessageInitShape<typeof FieldDescriptorProtoSchema> = {}) => ({
    name,
    number,
    type,
    label: Label.OPTIONAL,
    ...more,
  });

  const roundTrips: Array<{ case: string; file: MessageInitShape<typeof FileDescriptorProtoSchema> }> = [
    {
      case: "proto3: scalars, a repeated field, a message and an enum by name, a custom json_name",
      file: {
        name: "t/p3.proto",
        package: "t.p3",
        syntax: "proto3",
        messageType: [
          {
            name: "Thing",
            field: [
              field("id", 1, Type.INT64),
              field("label_text", 2, Type.STRING, { jsonName: "label" }),
              field("tags", 3, Type.STRING, { label: Label.REPEATED }),
              field("kind", 4, Type.ENUM, { typeName: ".t.p3.Kind" }),
              field("inner", 5, Type.MESSAGE, { typeName: ".t.p3.Thing.Inner" }),
            ],
            nestedType: [{ name: "Inner", field: [field("ok", 1, Type.BOOL)] }],
            reservedRange: [
              { start: 6, end: 7 },
              { start: 10, end: 20 },
            ],
            reservedName: ["old"],
          },
        ],
        enumType: [
          {
            name: "Kind",
            value: [
              { name: "KIND_UNSPECIFIED", number: 0 },
              { name: "KIND_A", number: 1 },
            ],
            reservedRange: [{ start: 5, end: 9 }],
            reservedName: ["KIND_OLD"],
          },
        ],
        options: { goPackage: "example.com/t/p3", javaMultipleFiles: true },
      },
    },
    {
      case: "proto2: defaults, required, a oneof, extension ranges up to max, an extension of another file's message",
      file: {
        name: "t/p2.proto",
        package: "t.p2",
        dependency: ["google/protobuf/descriptor.proto"],
        messageType: [
          {
            name: "Rules",
            field: [
              field("greeting", 1, Type.STRING, { defaultValue: 'say "hi"\n' }),
              field("count", 2, Type.INT32, { label: Label.REQUIRED, defaultValue: "-3" }),
              field("a", 3, Type.STRING, { oneofIndex: 0 }),
              field("b", 4, Type.UINT64, { oneofIndex: 0 }),
            ],
            oneofDecl: [{ name: "choice" }],
            extensionRange: [
              { start: 100, end: 200 },
              { start: 1000, end: 536_870_912 },
            ],
          },
        ],
        extension: [field("rules", 51234, Type.MESSAGE, { typeName: ".t.p2.Rules", extendee: ".google.protobuf.FieldOptions" })],
      },
    },
  ];
  for (const c of roundTrips) {
    it(c.case, async () => {
      const file = create(FileDescriptorProtoSchema, c.file);
      const [built] = await compile({ [file.name]: protoSource(file, createRegistry()) });
      assert.ok(built);
      assert.deepEqual(comparable(built), comparable(file));
    });
  }

  const unsupported: Array<{ case: string; file: MessageInitShape<typeof FileDescriptorProtoSchema>; error: RegExp }> = [
    { case: "editions", file: { name: "e.proto", syntax: "editions" }, error: /e\.proto: cannot print syntax editions/ },
    { case: "a service", file: { name: "s.proto", syntax: "proto3", service: [{ name: "S" }] }, error: /s\.proto: cannot print services/ },
    {
      case: "a map field",
      file: { name: "m.proto", syntax: "proto3", messageType: [{ name: "M", nestedType: [{ name: "XEntry", options: { mapEntry: true } }] }] },
      error: /m\.proto: cannot print map field in M/,
    },
    {
      case: "message options",
      file: { name: "o.proto", messageType: [{ name: "O", options: { deprecated: true } }] },
      error: /o\.proto: cannot print options of message O/,
    },
  ];
  for (const c of unsupported) {
    it(`refuses ${c.case}, naming the file, rather than printing something else`, () => {
      assert.throws(() => protoSource(create(FileDescriptorProtoSchema, c.file), createRegistry()), c.error);
    });
  }

  const strings: Array<[string, string]> = [
    ["plain", '"plain"'],
    ['a "quote" and a \\', '"a \\"quote\\" and a \\\\"'],
    ["line\nbreak\ttab\r", '"line\\nbreak\\ttab\\r"'],
    ["nul\u0000bell\u0007del\u007f", '"nul\\000bell\\007del\\177"'],
    ["crème fraîche", '"crème fraîche"'],
  ];
  for (const [value, literal] of strings) {
    it(`protoString(${JSON.stringify(value)}) is ${literal}`, () => assert.equal(protoString(value), literal));
  }
});
