import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";

// gRPC's grpc-message is percent-encoded, but only outside printable ASCII
// and for "%" itself (PROTOCOL-HTTP2.md, "Status-Message"). Connect-ES
// encodes it with encodeURIComponent, which also encodes ":", ",", "+", "/"…;
// @grpc/grpc-js decodes with decodeURI, which leaves those escaped, so its
// users read "not enough cheese%3A wanted 11%2C 10 in stock". Re-encoding the
// status message the way the spec says makes every client read it as sent.

/** Percent-encodes a status message as the gRPC spec says. */
export function grpcPercentEncode(message: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(message)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function reencode(headers: Headers | undefined): void {
  const message = headers?.get("grpc-message");
  if (!message) return;
  try {
    headers!.set("grpc-message", grpcPercentEncode(decodeURIComponent(message)));
  } catch {
    // not valid percent-encoding: leave it as it is
  }
}

/** Wraps a gRPC handler so that its status message reaches every gRPC client as written. */
export function specEncodedGrpcMessages(handler: UniversalHandler): UniversalHandler {
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const res = await handler(req);
    const type = res.header?.get("content-type") ?? "";
    if (!type.startsWith("application/grpc") || type.startsWith("application/grpc-web")) return res;
    reencode(res.header); // a trailers-only answer
    if (!res.trailer || res.body === undefined || res.body instanceof Uint8Array) return res;
    const body = res.body;
    const trailer = res.trailer;
    return {
      ...res,
      body: (async function* () {
        yield* body;
        reencode(trailer); // final once the body is written
      })(),
    };
  };
  return Object.assign(wrapped, handler);
}
