// `npm run generate`, first step. The gRPC health API ships on npm
// (grpc-health-check) as proto/health/v1/health.proto, but its canonical name,
// the one every other server's reflection uses, is grpc/health/v1/health.proto:
// clients that merge descriptors from several servers (grpcurl, Postman) saw
// two files defining grpc.health.v1. This copies it from the installed package
// to .build/proto under its canonical path, which buf.gen.yaml generates from.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";

/** Canonical name (under .build/proto) → where an installed package has the file. */
export const STAGED_PROTOS: Readonly<Record<string, string>> = {
  "grpc/health/v1/health.proto": "node_modules/grpc-health-check/proto/health/v1/health.proto",
};

export const STAGE_DIR = ".build/proto";

for (const [canonical, source] of Object.entries(STAGED_PROTOS)) {
  const target = path.join(STAGE_DIR, canonical);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(source, target);
}
