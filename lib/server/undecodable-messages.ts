import { encodeEnvelope, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";

// Connect-ES answers a request message that is not valid protobuf binary with
// INTERNAL ("parse binary: …", from @connectrpc/connect's protocol
// serialization), while it answers invalid JSON with INVALID_ARGUMENT. The
// fault is the caller's, so INTERNAL misleads both the caller (HTTP 500, "the
// server broke") and the operators whose alerts count INTERNAL. connect-go
// answers INVALID_ARGUMENT here; so do we. Nothing else is touched: only an
// INTERNAL whose message starts with this prefix, on any of the three protocols.
const UNDECODABLE_PREFIX = "parse binary:";
const GRPC_INTERNAL = "13";
const GRPC_INVALID_ARGUMENT = "3";
const GRPC_WEB_TRAILER_FLAG = 0b1000_0000;

/** Wraps an RPC handler so that an undecodable request message is INVALID_ARGUMENT, not INTERNAL. */
export function undecodableAsInvalidArgument(handler: UniversalHandler): UniversalHandler {
  const wrapped = async (req: Parameters<UniversalHandler>[0]) => rewrite(await handler(req));
  return Object.assign(wrapped, handler);
}

async function rewrite(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const contentType = res.header?.get("content-type") ?? "";
  if (res.body === undefined || res.body instanceof Uint8Array) return res;
  if (res.status === 500 && contentType.startsWith("application/json") && !res.header?.has("content-encoding")) {
    return rewriteConnectUnary(res, await readAll(res.body));
  }
  if (contentType.startsWith("application/grpc-web")) return { ...res, body: mapChunks(res.body, rewriteGrpcWebTrailer) };
  if (contentType.startsWith("application/grpc") && res.trailer) return { ...res, body: thenFixTrailer(res.body, res.trailer) };
  return res;
}

/** Connect unary: the error is the (small, uncompressed) JSON body of an HTTP 500. */
function rewriteConnectUnary(res: UniversalServerResponse, body: Uint8Array): UniversalServerResponse {
  const unchanged = { ...res, body: oneChunk(body) };
  let error: { code?: unknown; message?: unknown };
  try {
    error = JSON.parse(new TextDecoder().decode(body)) as typeof error;
  } catch {
    return unchanged;
  }
  if (error.code !== "internal" || typeof error.message !== "string" || !error.message.startsWith(UNDECODABLE_PREFIX)) return unchanged;
  const rewritten = new TextEncoder().encode(JSON.stringify({ ...error, code: "invalid_argument" }));
  res.header?.set("content-length", String(rewritten.byteLength));
  return { ...res, status: 400, body: oneChunk(rewritten) };
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** gRPC: the status is a trailer, final once the body has been written. */
async function* thenFixTrailer(body: AsyncIterable<Uint8Array>, trailer: Headers): AsyncIterable<Uint8Array> {
  yield* body;
  if (trailer.get("grpc-status") === GRPC_INTERNAL && isUndecodable(trailer.get("grpc-message"))) {
    trailer.set("grpc-status", GRPC_INVALID_ARGUMENT);
  }
}

/** gRPC-Web: the status travels in the body, as a trailer frame (flag 0x80, length, "key: value\r\n" lines). */
function rewriteGrpcWebTrailer(chunk: Uint8Array): Uint8Array {
  if (chunk.byteLength < 5 || (chunk[0]! & GRPC_WEB_TRAILER_FLAG) === 0) return chunk;
  const lines = new TextDecoder().decode(chunk.subarray(5)).split("\r\n");
  const value = (name: string) => lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  if (value("grpc-status") !== GRPC_INTERNAL || !isUndecodable(value("grpc-message"))) return chunk;
  const text = lines.map((l) => (l.toLowerCase().startsWith("grpc-status:") ? `grpc-status: ${GRPC_INVALID_ARGUMENT}` : l)).join("\r\n");
  return encodeEnvelope(chunk[0]!, new TextEncoder().encode(text));
}

function isUndecodable(grpcMessage: string | null | undefined): boolean {
  if (!grpcMessage) return false;
  try {
    return decodeURIComponent(grpcMessage).startsWith(UNDECODABLE_PREFIX);
  } catch {
    return false;
  }
}

async function* mapChunks(body: AsyncIterable<Uint8Array>, map: (chunk: Uint8Array) => Uint8Array): AsyncIterable<Uint8Array> {
  for await (const chunk of body) yield map(chunk);
}
