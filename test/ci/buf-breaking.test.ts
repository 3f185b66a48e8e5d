import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BUF = path.resolve("node_modules/.bin/buf");
const V1 = "proto/chillybin/v1/chillybin.proto";
const V2 = "proto/chillybin/v2/chillybin.proto";

/**
 * buf breaking with this repository's buf.yaml, on a copy of the schema with
 * one edit, against the schema as committed: what CI runs for every change.
 */
async function breakingAfter(file: string, edit: (text: string) => string): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "buf-breaking-"));
  try {
    for (const entry of ["buf.yaml", "proto", "test/proto"]) cpSync(entry, path.join(dir, entry), { recursive: true });
    symlinkSync(path.resolve("node_modules"), path.join(dir, "node_modules"));
    await run(BUF, ["build", "proto", "-o", "base.binpb"], { cwd: dir });
    const target = path.join(dir, file);
    const edited = edit(readFileSync(target, "utf8"));
    assert.notEqual(edited, readFileSync(target, "utf8"), "the edit changed nothing");
    writeFileSync(target, edited);
    try {
      const { stdout } = await run(BUF, ["breaking", "proto", "--against", "base.binpb"], { cwd: dir });
      return { ok: true, output: stdout };
    } catch (error) {
      const e = error as { stdout: string; stderr: string };
      return { ok: false, output: e.stdout + e.stderr };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("buf breaking guards the schema (buf.yaml)", function () {
  this.timeout(60_000);

  const breaking: Array<{ case: string; file: string; edit: (t: string) => string; reports: RegExp }> = [
    {
      case: "a deleted field",
      file: V2,
      edit: (t) => t.replace(/\n\s*\/\/ Who the order is for; required.\n\s*string customer = 3;/, ""),
      reports: /Previously present field "3" with name "customer" on message "PickRequest" was deleted/,
    },
    {
      case: "a changed field type",
      file: V2,
      edit: (t) => t.replace("int32 quantity = 2;", "string quantity = 2;"),
      reports: /Field "2" with name "quantity" on message "PickRequest" changed type from "int32" to "string"/,
    },
    {
      case: "a removed RPC",
      file: "proto/jafflr/v1/jafflr.proto",
      edit: (t) => t.replace(/\n\s*\/\/ GetStatus answers[\s\S]*?option \(google\.api\.http\) = \{get: "\/"\};\n\s*\}/, ""),
      reports: /Previously present RPC "GetStatus" on service "JafflrService" was deleted/,
    },
    {
      case: "deleting v1 Pick before its consumers have moved",
      file: V1,
      edit: (t) => t.replace(/\n  \/\/ Pick takes[\s\S]*?\n  \}\n/, "\n"),
      reports: /Previously present RPC "Pick" on service "ChillybinService" was deleted/,
    },
    {
      case: "a renamed JSON name",
      file: V2,
      edit: (t) => t.replace("string customer = 3;", 'string customer = 3 [json_name = "client"];'),
      reports: /changed option "json_name" from "customer" to "client"/,
    },
    {
      case: "a renamed field, even with json_name keeping its JSON key (generated code and proto-loader clients use the name)",
      file: V1,
      edit: (t) => t.replace("string name = 1;", 'string ingredient = 1 [json_name = "name"];'),
      reports: /Field "1" on message "PickRequest" changed name from "name" to "ingredient"/,
    },
    {
      case: "a deleted field, even with its number and name reserved (code generated from it stops compiling: a deliberate exception needs the trailer)",
      file: V2,
      edit: (t) => t.replace(/\n\s*\/\/ Who the order is for; required.\n\s*string customer = 3;/, '\n  reserved 3;\n  reserved "customer";'),
      reports: /Previously present field "3" with name "customer" on message "PickRequest" was deleted/,
    },
    {
      case: "a deleted enum value",
      file: "proto/jafflr/v1/jafflr.proto",
      edit: (t) => t.replace(/\n\s*\/\/ 10 s of cooking.\n\s*DONENESS_BURNT = 4;/, ""),
      reports: /Previously present enum value "4" on enum "Doneness" was deleted/,
    },
  ];
  for (const b of breaking) {
    it(`fails on ${b.case}`, async () => {
      const { ok, output } = await breakingAfter(b.file, b.edit);
      assert.equal(ok, false, output);
      assert.match(output, b.reports);
    });
  }

  const compatible: Array<{ case: string; file: string; edit: (t: string) => string }> = [
    { case: "an added field", file: V2, edit: (t) => t.replace("string customer = 3;", "string customer = 3;\n  string note = 4;") },
    { case: "a newly deprecated field", file: V2, edit: (t) => t.replace("string customer = 3;", "string customer = 3 [deprecated = true];") },
  ];
  for (const c of compatible) {
    it(`passes ${c.case}`, async () => {
      const { ok, output } = await breakingAfter(c.file, c.edit);
      assert.equal(ok, true, output);
    });
  }
});
