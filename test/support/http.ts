import * as http from "node:http";

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body's bytes (binary protocols). */
  bytes: Buffer;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** One HTTP/1.1 request, as curl would send it. */
export function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    // A body always goes with its length, as curl sends it (a GET with a body
    // and neither length nor chunking would be a malformed HTTP message).
    const headers = { ...options.headers, ...(options.body !== undefined ? { "content-length": String(Buffer.byteLength(options.body)) } : {}) };
    // The path goes as given (origin-form), even one that URL parsing would read as a host ("//x/pick").
    const { hostname, port } = new URL(baseUrl);
    const req = http.request({ hostname, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, bytes, json });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}
