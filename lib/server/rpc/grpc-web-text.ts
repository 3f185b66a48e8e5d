import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";

// gRPC-Web's text mode (application/grpc-web-text): the binary mode's frames,
// base64-encoded in both directions. It is the official grpc-web client's
// default (protoc-gen-grpc-web's mode=grpcwebtext) and what Envoy serves;
// Connect-ES serves only the binary mode. A text call is the binary call in
// translation: its body decoded and its content type named binary on the way
// in, the answer's body encoded and its content type named text on the way out.

const TEXT_TYPE = /^application\/grpc-web-text(?:\+proto)?\s*(?:;|$)/i;

/** The content type of text-mode answers. */
export const GRPC_WEB_TEXT_TYPE = "application/grpc-web-text+proto";

/** Whether a request's content type is gRPC-Web's text mode. */
export function isGrpcWebText(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_TYPE.test(contentType);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Where the decodable start of `text` ends: after its whole groups, or after the first group padding ends. */
function decodableEnd(text: string): number {
  const whole = text.length - (text.length % 4);
  const padding = text.indexOf("=");
  return padding === -1 || padding >= whole ? whole : padding - (padding % 4) + 4;
}

/**
 * Decodes a base64 body as it arrives. A client may send it in pieces each
 * padded on its own (the grpc-web client encodes each message apart), so it is
 * decoded by whole 4-character groups, up to and including a group padding ends.
 */
export async function* decodeBase64Body(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let pending = "";
  for await (const chunk of body) {
    pending += Buffer.from(chunk).toString("latin1").replace(/\s+/g, "");
    for (let end = decodableEnd(pending); end > 0; end = decodableEnd(pending)) {
      yield decodePiece(pending.slice(0, end));
      pending = pending.slice(end);
    }
  }
  if (pending !== "") throw new ConnectError(`the gRPC-Web text body ends inside a base64 group ("${pending}")`, Code.InvalidArgument);
}

function decodePiece(piece: string): Uint8Array {
  if (!BASE64.test(piece)) throw new ConnectError("the gRPC-Web text body is not base64", Code.InvalidArgument);
  return Buffer.from(piece, "base64");
}

/** Encodes an answer's body: each piece as it comes, padded, so that a streamed message reaches the client at once. */
export async function* encodeBase64Body(body: AsyncIterable<Uint8Array> | Uint8Array): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield Buffer.from(Buffer.from(body).toString("base64"), "latin1");
    return;
  }
  for await (const chunk of body) if (chunk.byteLength > 0) yield Buffer.from(Buffer.from(chunk).toString("base64"), "latin1");
}

/** A text-mode request as the binary-mode request Connect's gRPC-Web handler reads. */
export function asBinaryRequest(req: UniversalServerRequest): UniversalServerRequest {
  const header = new Headers(req.header);
  header.set("content-type", "application/grpc-web+proto");
  return { ...req, header, body: decodeBase64Body(req.body as AsyncIterable<Uint8Array>) };
}

/** The binary-mode answer, as the text-mode client reads it. */
export function asTextResponse(res: UniversalServerResponse): UniversalServerResponse {
  const header = new Headers(res.header);
  if (header.has("content-type")) header.set("content-type", GRPC_WEB_TEXT_TYPE);
  header.delete("content-length");
  return { ...res, header, body: res.body === undefined ? undefined : encodeBase64Body(res.body) };
}
