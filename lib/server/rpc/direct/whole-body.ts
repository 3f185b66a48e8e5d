import { ConnectError } from "@connectrpc/connect";
import type { NodeRequest } from "../../../http/index.js";

/** A request body read whole, or why it was not. */
export type WholeBody =
  | { kind: "read"; bytes: Buffer }
  /** Longer than the limit: what was read; the rest is still in the request (paused). */
  | { kind: "too-long"; read: Buffer[] }
  /** Refused by the budget (RESOURCE_EXHAUSTED); the rest of the body is dropped. */
  | { kind: "refused"; error: ConnectError }
  | { kind: "failed"; error: Error };

/**
 * Reads a request body whole with plain 'data' events (no async iterator per
 * request), counting each chunk against the server's budget (`admitBytes`
 * throws when over) and stopping, paused, once it is longer than `limit`.
 */
export function readWholeBody(req: NodeRequest, admitBytes: (bytes: number) => void, limit: number): Promise<WholeBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (outcome: WholeBody) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      try {
        admitBytes(chunk.byteLength);
      } catch (error) {
        req.resume(); // drop the rest of the body
        return stop({ kind: "refused", error: ConnectError.from(error) });
      }
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length > limit) {
        req.pause();
        stop({ kind: "too-long", read: chunks });
      }
    };
    const onEnd = () => stop({ kind: "read", bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) });
    const onError = (error: Error) => stop({ kind: "failed", error });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
