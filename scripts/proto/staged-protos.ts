// .proto files buf needs that no dependency ships where (or as) buf wants them,
// derived from installed packages into STAGE_DIR, a module of buf.yaml. npm ci
// stages them (package.json's postinstall runs stage-protos-cli.ts), so every
// checkout, worktree and copy that links node_modules has them; nothing here
// is copied into the repository by hand.
//
// - grpc/health/v1/health.proto: grpc-health-check ships it as
//   proto/health/v1/health.proto, but its canonical name, the one every other
//   server's reflection uses, is grpc/health/v1/health.proto (clients that merge
//   descriptors from several servers saw two files defining grpc.health.v1).
// - buf/validate/validate.proto: the protovalidate annotations proto/ uses. Not
//   on npm as source, and buf's registry is out of reach; @bufbuild/protovalidate
//   embeds its descriptor, printed back as source by proto-source.ts.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRegistry } from "@bufbuild/protobuf";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { protoSource } from "./proto-source.js";

export const STAGE_DIR = "node_modules/.staged-proto";

// (The package's exports do not include its package.json; read it from its folder.)
const protovalidateVersion = (JSON.parse(readFileSync("node_modules/@bufbuild/protovalidate/package.json", "utf8")) as { version: string }).version;

/** Canonical name (under STAGE_DIR) → its text, from the installed packages. */
export function stagedProtos(): Record<string, string> {
  return {
    "grpc/health/v1/health.proto": readFileSync("node_modules/grpc-health-check/proto/health/v1/health.proto", "utf8"),
    "buf/validate/validate.proto": protoSource(file_buf_validate_validate.proto, createRegistry(file_buf_validate_validate), [
      `Printed from the descriptor @bufbuild/protovalidate ${protovalidateVersion} embeds, by`,
      "scripts/proto/staged-protos.ts (npm ci runs it). Do not edit: reinstall to refresh.",
    ]),
  };
}

/** Writes every staged file under `dir`. */
export function stageProtos(dir = STAGE_DIR): string[] {
  const files = stagedProtos();
  for (const [name, text] of Object.entries(files)) {
    const target = path.join(dir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return Object.keys(files);
}
