import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { removedBindings } from "../../scripts/proto/http-bindings.js";

const run = promisify(execFile);
const BUF = path.resolve("node_modules/.bin/buf");
const V1 = "proto/chillybin/v1/chillybin.proto";
const V2 = "proto/chillybin/v2/chillybin.proto";
const REFERENCE = "string reference = 3 [(buf.validate.field).string.max_len = 200];";

/**
 * A copy of the schema with one edit, beside an image of the schema as
 * committed (base.binpb), handed to `then` in its folder.
 */
async function inEditedCopy<T>(file: string, edit: (text: string) => string, then: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "buf-breaking-"));
  try {
    for (const entry of ["buf.yaml", "proto", "test/proto"]) cpSync(entry, path.join(dir, entry), { recursive: true });
    symlinkSync(path.resolve("node_modules"), path.join(dir, "node_modules"));
    await run(BUF, ["build", "proto", "-o", "base.binpb"], { cwd: dir });
    const target = path.join(dir, file);
    const edited = edit(readFileSync(target, "utf8"));
    assert.notEqual(edited, readFileSync(target, "utf8"), "the edit changed nothing");
    writeFileSync(target, edited);
    return await then(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** buf breaking with this repository's buf.yaml on an edited copy, against the schema as committed: what CI runs for every change. */
function breakingAfter(file: string, edit: (text: string) => string): Promise<{ ok: boolean; output: string }> {
  return inEditedCopy(file, edit, async (dir) => {
    try {
      const { stdout } = await run(BUF, ["breaking", "proto", "--against", "base.binpb"], { cwd: dir });
      return { ok: true, output: stdout };
    } catch (error) {
      const e = error as { stdout: string; stderr: string };
      return { ok: false, output: e.stdout + e.stderr };
    }
  });
}

describe("buf breaking guards the schema (buf.yaml)", function () {
  this.timeout(60_000);

  const breaking: Array<{ case: string; file: string; edit: (t: string) => string; reports: RegExp }> = [
    {
      case: "a deleted field",
      file: V2,
      edit: (t) => t.replace(/\n\s*\/\/ Who the order is for; required: at most[\s\S]*?string customer = 3 \[[\s\S]*?\}\];/, ""),
      reports: /Previously present field "3" with name "customer" on message "PickRequest" was deleted/,
    },
    {
      case: "a changed field type",
      file: V2,
      edit: (t) => t.replace("int32 quantity = 2 [", "string quantity = 2 ["),
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
      edit: (t) => t.replace(/\n {2}\/\/ Pick takes[\s\S]*?\n {2}\}\n/, "\n"),
      reports: /Previously present RPC "Pick" on service "ChillybinService" was deleted/,
    },
    {
      case: "a renamed JSON name",
      file: V2,
      edit: (t) => t.replace("string customer = 3 [", 'string customer = 3 [json_name = "client", '),
      reports: /changed option "json_name" from "customer" to "client"/,
    },
    {
      case: "a renamed field, even with json_name keeping its JSON key (generated code and proto-loader clients use the name)",
      file: V1,
      edit: (t) => t.replace("string name = 1 [", 'string ingredient = 1 [json_name = "name", '),
      reports: /Field "1" on message "PickRequest" changed name from "name" to "ingredient"/,
    },
    {
      case: "a deleted field, even with its number and name reserved (code generated from it stops compiling: a deliberate exception needs the trailer)",
      file: V2,
      edit: (t) =>
        t.replace(/\n\s*\/\/ Who the order is for; required: at most[\s\S]*?string customer = 3 \[[\s\S]*?\}\];/, '\n  reserved 3;\n  reserved "customer";'),
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
    { case: "an added field", file: V2, edit: (t) => t.replace(REFERENCE, `${REFERENCE}\n  string note = 4;`) },
    { case: "a newly deprecated field", file: V2, edit: (t) => t.replace("string reference = 3 [", "string reference = 3 [deprecated = true, ") },
    {
      case: "a changed rule (buf breaking reads no protovalidate rule: tightening one is a behaviour change the pact and its review catch)",
      file: V2,
      edit: (t) => t.replace("string.max_len = 200", "string.max_len = 100"),
    },
  ];
  for (const c of compatible) {
    it(`passes ${c.case}`, async () => {
      const { ok, output } = await breakingAfter(c.file, c.edit);
      assert.equal(ok, true, output);
    });
  }
});

describe("REST bindings are guarded too (buf breaking ignores google.api.http)", function () {
  this.timeout(60_000);

  /** The bindings an edited copy of proto/ no longer serves, against proto/ as committed. */
  const removedAfter = (file: string, edit: (text: string) => string) =>
    inEditedCopy(file, edit, async (dir) => {
      await run(BUF, ["build", "proto", "-o", "head.binpb"], { cwd: dir });
      return removedBindings(path.join(dir, "base.binpb"), path.join(dir, "head.binpb"));
    });

  const table: Array<{ case: string; file: string; edit: (t: string) => string; removed: string[] }> = [
    {
      case: "a changed path fails",
      file: V2,
      edit: (t) => t.replace('post: "/v2/orders"', 'post: "/v2/order"'),
      removed: ["POST /v2/orders body=* → chillybin.v2.ChillybinService.PickOrder"],
    },
    {
      case: "a changed method fails",
      file: V1,
      edit: (t) => t.replace('additional_bindings: {get: "/restock"}', 'additional_bindings: {put: "/restock"}'),
      removed: ["GET /restock → chillybin.v1.ChillybinService.Restock"],
    },
    {
      case: "a changed body mapping fails",
      file: V2,
      edit: (t) => t.replace(/post: "\/v2\/pick"\n(\s*)body: "\*"/, 'post: "/v2/pick"\n$1body: "customer"'),
      removed: ["POST /v2/pick body=* → chillybin.v2.ChillybinService.Pick"],
    },
    {
      case: "an added binding passes",
      file: V1,
      edit: (t) => t.replace('additional_bindings: {get: "/restock"}', 'additional_bindings: [{get: "/restock"}, {put: "/restock"}]'),
      removed: [],
    },
  ];
  for (const t of table) {
    it(t.case, async () => {
      assert.deepEqual(await removedAfter(t.file, t.edit), t.removed);
    });
  }
});
