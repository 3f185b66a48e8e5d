import type { DescMessage, JsonValue } from "@bufbuild/protobuf";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeName, codeNamed } from "../../codes.js";
import { codeToHttpStatus, encodeEnvelope } from "../../connect-internals.js";
import { jsonKind } from "../../transcoding/index.js";

// Connect-ES's answers to a request it cannot decode, corrected so that the
// caller can tell it was their request and what in it was wrong:
//
// - A message that is not valid protobuf binary is INTERNAL ("parse binary:
//   …", from @connectrpc/connect's protocol serialization), while invalid JSON
//   is INVALID_ARGUMENT. The fault is the caller's, so INTERNAL misleads both
//   the caller (HTTP 500, "the server broke") and the operators whose alerts
//   count INTERNAL. connect-go answers INVALID_ARGUMENT here; so do we.
// - An unknown enum name in JSON is INVALID_ARGUMENT "cannot decode enum
//   jafflr.v1.Doneness from JSON: "charcoal"", which names the enum's type but
//   not the field the caller got wrong: the field is named instead.
// - A JSON body that is not an object (null, [], 3, "x") is INVALID_ARGUMENT
//   "cannot decode message chillybin.v1.PickRequest from JSON: Array(0)",
//   protobuf-es's debug spelling of the value: said in words instead.
//
// Nothing else is touched, on any of the three protocols.
const GRPC_WEB_TRAILER_FLAG = 0b1000_0000;

/** A failure as Connect's JSON says it: the code's name ("invalid_argument") and the message. */
interface Failure {
  code: string;
  message: string;
}

/** The corrected failure for a request of `input`, or undefined to leave it as it is. */
export function correctDecodingError(failure: Failure, input: DescMessage): Failure | undefined {
  if (failure.code === "internal" && failure.message.startsWith("parse binary:")) return { code: "invalid_argument", message: failure.message };
  const unknownEnum = /^cannot decode enum ([\w.]+) from JSON: (.*)$/.exec(failure.message);
  if (failure.code === "invalid_argument" && unknownEnum) {
    const fields = fieldsOfEnum(input, unknownEnum[1]!);
    if (fields.length > 0) return { code: "invalid_argument", message: `${fields.join(" or ")}: unknown value ${unknownEnum[2]}` };
  }
  const notAnObject = /^cannot decode message ([\w.]+) from JSON: (null|true|false|Array\(\d+\)|string|".*"|-?[\d.]+(?:e[-+]?\d+)?)$/s.exec(failure.message);
  if (failure.code === "invalid_argument" && notAnObject?.[1] === input.typeName) {
    return { code: "invalid_argument", message: `the request body must be a JSON object (${input.typeName}), not ${inWords(notAnObject[2]!)}` };
  }
  return undefined;
}

/**
 * A JSON value as protobuf-es's formatVal spells it, in words: a string (its
 * quotes not escaped as JSON's, or "string" when long) and an array by their
 * spelling; null, a bool or a number parsed back, as REST describes it.
 */
function inWords(formatted: string): string {
  if (formatted === "string" || formatted.startsWith('"')) return jsonKind("");
  if (formatted.startsWith("Array(")) return jsonKind([]);
  return jsonKind(JSON.parse(formatted) as JsonValue);
}

/** The JSON names of the fields (nested ones as a.b) whose type is the enum `typeName`. */
function fieldsOfEnum(message: DescMessage, typeName: string, prefix = "", seen = new Set<string>()): string[] {
  if (seen.has(message.typeName)) return [];
  seen.add(message.typeName);
  return message.fields.flatMap((field) => {
    const path = `${prefix}${field.jsonName}`;
    if (field.enum?.typeName === typeName) return [path];
    if (field.message) return fieldsOfEnum(field.message, typeName, `${path}.`, seen);
    return [];
  });
}

/** Wraps an RPC handler so that its answers to undecodable requests say what was wrong (see above). */
export function correctDecodingErrors(handler: UniversalHandler): UniversalHandler {
  const correct = (failure: Failure) => correctDecodingError(failure, handler.method.input);
  const wrapped = async (req: Parameters<UniversalHandler>[0]) => rewrite(await handler(req), correct);
  return Object.assign(wrapped, handler);
}

type Correct = (failure: Failure) => Failure | undefined;

async function rewrite(res: UniversalServerResponse, correct: Correct): Promise<UniversalServerResponse> {
  const contentType = res.header?.get("content-type") ?? "";
  if (res.body === undefined || res.body instanceof Uint8Array) return res;
  if ((res.status === 500 || res.status === 400) && contentType.startsWith("application/json") && !res.header?.has("content-encoding")) {
    return rewriteConnectUnary(res, await readAll(res.body), correct);
  }
  if (contentType.startsWith("application/grpc-web")) return { ...res, body: mapChunks(res.body, (chunk) => rewriteGrpcWebTrailer(chunk, correct)) };
  if (contentType.startsWith("application/grpc") && res.trailer) return { ...res, body: thenFixTrailer(res.body, res.trailer, correct) };
  return res;
}

/** Connect unary: the error is the (small, uncompressed) JSON body. */
function rewriteConnectUnary(res: UniversalServerResponse, body: Uint8Array, correct: Correct): UniversalServerResponse {
  const unchanged = { ...res, body: oneChunk(body) };
  let error: { code?: unknown; message?: unknown };
  try {
    error = JSON.parse(new TextDecoder().decode(body)) as typeof error;
  } catch {
    return unchanged;
  }
  if (typeof error.code !== "string" || typeof error.message !== "string") return unchanged;
  const corrected = correct({ code: error.code, message: error.message });
  if (!corrected) return unchanged;
  const rewritten = new TextEncoder().encode(JSON.stringify({ ...error, ...corrected }));
  res.header?.set("content-length", String(rewritten.byteLength));
  const code = codeNamed(corrected.code);
  return { ...res, status: code === undefined ? res.status : codeToHttpStatus(code), body: oneChunk(rewritten) };
}

/** A gRPC status (code number and percent-encoded message) corrected, or undefined. */
function correctGrpcStatus(
  status: string | null | undefined,
  message: string | null | undefined,
  correct: Correct,
): { status: string; message: string } | undefined {
  if (!status || !/^\d+$/.test(status) || !message) return undefined;
  const name = codeName(Number(status));
  let decoded: string;
  try {
    decoded = decodeURIComponent(message);
  } catch {
    return undefined;
  }
  const corrected = correct({ code: name, message: decoded });
  if (!corrected) return undefined;
  return { status: String(codeNamed(corrected.code) ?? status), message: encodeURIComponent(corrected.message) };
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
async function* thenFixTrailer(body: AsyncIterable<Uint8Array>, trailer: Headers, correct: Correct): AsyncIterable<Uint8Array> {
  yield* body;
  const corrected = correctGrpcStatus(trailer.get("grpc-status"), trailer.get("grpc-message"), correct);
  if (corrected) {
    trailer.set("grpc-status", corrected.status);
    trailer.set("grpc-message", corrected.message);
  }
}

/** gRPC-Web: the status travels in the body, as a trailer frame (flag 0x80, length, "key: value\r\n" lines). */
function rewriteGrpcWebTrailer(chunk: Uint8Array, correct: Correct): Uint8Array {
  if (chunk.byteLength < 5 || (chunk[0]! & GRPC_WEB_TRAILER_FLAG) === 0) return chunk;
  const lines = new TextDecoder().decode(chunk.subarray(5)).split("\r\n");
  const value = (name: string) =>
    lines
      .find((l) => l.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim();
  const corrected = correctGrpcStatus(value("grpc-status"), value("grpc-message"), correct);
  if (!corrected) return chunk;
  const text = lines
    .map((l) =>
      l.toLowerCase().startsWith("grpc-status:")
        ? `grpc-status: ${corrected.status}`
        : l.toLowerCase().startsWith("grpc-message:")
          ? `grpc-message: ${corrected.message}`
          : l,
    )
    .join("\r\n");
  return encodeEnvelope(chunk[0]!, new TextEncoder().encode(text));
}

async function* mapChunks(body: AsyncIterable<Uint8Array>, map: (chunk: Uint8Array) => Uint8Array): AsyncIterable<Uint8Array> {
  for await (const chunk of body) yield map(chunk);
}
