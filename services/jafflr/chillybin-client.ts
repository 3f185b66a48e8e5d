import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";

export type ChillybinClient = Client<typeof ChillybinService>;

export interface ChillybinTransportOptions {
  baseUrl: string;
  /** HTTP/2 (h2c) multiplexes every call over one reused connection; 1.1 uses a keep-alive pool. */
  httpVersion?: "1.1" | "2";
  /** JSON instead of binary protobuf on the wire (what contract tests record). */
  useJson?: boolean;
}

/** The Connect transport jafflr uses to reach chillybin. */
export function createChillybinTransport(options: ChillybinTransportOptions): Transport {
  return createConnectTransport({
    baseUrl: options.baseUrl,
    httpVersion: options.httpVersion ?? "2",
    useBinaryFormat: !options.useJson,
  });
}

/** The generated Connect client for chillybin. */
export function createChillybinClient(transport: Transport): ChillybinClient {
  return createClient(ChillybinService, transport);
}
