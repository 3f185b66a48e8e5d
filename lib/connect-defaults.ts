import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";

// Connect's own defaults, said once here, so that the server's direct paths
// (lib/server/rpc/rpc-options.ts) and the client transport
// (lib/client/unary-grpc-transport.ts) apply the same ones Connect would,
// without depending on Connect to fill them in.

/** Connect's read and write limit when none is given (~4 GiB, the most a message length can say). */
export const CONNECT_MAX_BYTES = 0xffffffff;

/** Messages smaller than this are not compressed (Connect's default: 1 KiB). */
export const CONNECT_COMPRESS_MIN_BYTES = 1024;

/** What is offered and accepted for compression, preferred first (Connect-Node's gzip and brotli). */
export function connectCompressions(): Compression[] {
  return [compressionGzip, compressionBrotli];
}
