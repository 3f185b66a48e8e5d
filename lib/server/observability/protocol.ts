/** The protocol a request spoke, as logs and metrics name it. */
export type Protocol = "grpc" | "grpc-web" | "connect" | "rest" | "http";

/**
 * Which protocol a request spoke, from its content type. A request that
 * reached an RPC with any other content type spoke Connect (unary Connect is
 * plain application/json or application/proto); one that did not is plain HTTP.
 */
export function protocolOf(contentType: string | undefined, reachedRpc: boolean): Protocol {
  const type = (contentType ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return reachedRpc ? "connect" : "http";
}
