import * as grpc from "@grpc/grpc-js";
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";

/** Every protocol and HTTP version a client may use against one port. */
export const TRANSPORTS: ReadonlyArray<{ name: string; make: (baseUrl: string) => Transport }> = [
  { name: "Connect JSON over HTTP/1.1", make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }) },
  {
    name: "Connect binary over h2c",
    make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  },
  { name: "gRPC over h2c", make: (baseUrl) => createGrpcTransport({ baseUrl }) },
  { name: "gRPC-Web over HTTP/1.1", make: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }) },
];

/** A unary call made by @grpc/grpc-js, the reference Node gRPC client, over h2c. */
export async function grpcJsUnary<I extends DescMessage, O extends DescMessage>(
  address: string,
  service: DescService,
  method: string,
  input: I,
  output: O,
  request: MessageShape<I>,
): Promise<MessageShape<O>> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `/${service.typeName}/${method}`,
        (message: MessageShape<I>) => Buffer.from(toBinary(input, message)),
        (bytes: Buffer) => fromBinary(output, bytes),
        request,
        (error, response) => (error ? reject(error) : resolve(response!)),
      );
    });
  } finally {
    client.close();
  }
}

/** What a gRPC call answered: its status code and message. */
export interface GrpcOutcome {
  code: grpc.status;
  details: string;
}

/** Sends `bytes` as the request message of a unary call with @grpc/grpc-js, unchecked, and answers the status. */
export function grpcJsRawUnary(client: grpc.Client, path: string, bytes: Uint8Array): Promise<GrpcOutcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (message: Uint8Array) => Buffer.from(message),
      (reply: Buffer) => reply,
      bytes,
      (error) => resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: "" }),
    );
  });
}
