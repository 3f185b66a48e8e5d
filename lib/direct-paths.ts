import { ConfigError, type Env } from "./config.js";

// The direct unary paths answer the common unary call without Connect-ES's
// async-iterable pipeline (lib/server/rpc/direct/unary-grpc.ts, unary-connect.ts;
// lib/client/unary-grpc-transport.ts), using Connect internals that may
// change in any release (lib/connect-internals.ts). DIRECT_PATHS lets an
// operator whose upgrade misbehaves turn any of them off without a new build:
// every call then goes through Connect's own handlers and transports.

/** Each direct path, by the name DIRECT_PATHS uses. */
export const DIRECT_PATH_NAMES = ["grpc", "grpc-web", "connect", "client"] as const;
export type DirectPathName = (typeof DIRECT_PATH_NAMES)[number];

/** Which direct paths are on: gRPC, gRPC-Web and Connect unary on the server, and the gRPC client transport. */
export type DirectPaths = Readonly<Record<DirectPathName, boolean>>;

export const ALL_DIRECT_PATHS: DirectPaths = { grpc: true, "grpc-web": true, connect: true, client: true };
export const NO_DIRECT_PATHS: DirectPaths = { grpc: false, "grpc-web": false, connect: false, client: false };

/** DIRECT_PATHS: "all" (the default), "none", or a comma-separated list of the paths to keep on. */
export function readDirectPaths(env: Env): DirectPaths {
  const value = env.DIRECT_PATHS?.trim() ?? "";
  if (value === "" || value === "all") return ALL_DIRECT_PATHS;
  if (value === "none") return NO_DIRECT_PATHS;
  const named = value.split(",").map((name) => name.trim());
  const unknown = named.filter((name) => !(DIRECT_PATH_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`DIRECT_PATHS must be "all", "none" or a list of ${DIRECT_PATH_NAMES.join(", ")}; "${unknown.join(", ")}" is none of them`);
  }
  return Object.fromEntries(DIRECT_PATH_NAMES.map((name) => [name, named.includes(name)])) as DirectPaths;
}
