// Calls made the way a client with its own deadline sends them, without a
// client library enforcing that deadline locally: what comes back is what the
// server answered.
import * as http2 from "node:http2";
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { request, type HttpResult } from "./http.js";

/** A Connect unary call with JSON, with headers of the caller's (say connect-timeout-ms). */
export function connectJsonCall(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return request(baseUrl, "POST", path, { body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
}

/** What a gRPC call answered: grpc-status and grpc-message (decoded). */
export interface GrpcStatus {
  status: number;
  message: string;
}

/** A gRPC unary call over h2c with headers of the caller's (say grpc-timeout). */
export function grpcCall<I extends DescMessage>(
  baseUrl: string,
  path: string,
  input: I,
  message: MessageShape<I>,
  headers: Record<string, string> = {},
): Promise<GrpcStatus> {
  return grpcRawCall(baseUrl, path, toBinary(input, message), headers);
}

/** A gRPC unary call over h2c whose message is `payload`, as it is (binary, or JSON with content-type application/grpc+json). */
export function grpcRawCall(baseUrl: string, path: string, payload: Uint8Array, headers: Record<string, string> = {}): Promise<GrpcStatus> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    stream.on("error", () => {});
    let status: GrpcStatus | undefined;
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = { status: Number(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"] ?? "")) };
    };
    stream.on("response", read); // a trailers-only answer
    stream.on("trailers", read);
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      if (status) resolve(status);
      else reject(new Error(`no grpc-status (stream closed with code ${stream.rstCode})`));
    });
    stream.end(encodeEnvelope(0, payload));
  });
}
