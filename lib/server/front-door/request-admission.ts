import { Code, ConnectError } from "@connectrpc/connect";
import type { NodeRequest, NodeResponse } from "../../http/index.js";
import type { ServerLimits } from "./limits.js";

/** What admission turned away, for metrics. */
export interface AdmissionRefusals {
  /** Requests refused for too many in flight (in total or from one client). */
  requests: number;
  /** Requests whose body would have gone over a buffered-bytes budget. */
  bodies: number;
}

/** The client a request came from: its address (every connection from it counts together). */
function clientOf(req: NodeRequest): string {
  return req.socket?.remoteAddress ?? "unknown";
}

/** What a request's buffered body bytes count against: its HTTP/2 session, or its HTTP/1.1 connection. */
function connectionOf(req: NodeRequest): object {
  return "stream" in req ? (req.stream.session ?? req.stream) : req.socket;
}

/**
 * Bounds the requests a server works on and the request bytes it holds:
 * in total, per client address, and (bytes) per connection, so that a client
 * opening many streams or sending many slow bodies is refused early, cheaply,
 * with RESOURCE_EXHAUSTED, instead of filling the heap for everyone.
 */
export class RequestAdmission {
  readonly refused: AdmissionRefusals = { requests: 0, bodies: 0 };
  private inFlight = 0;
  private readonly inFlightPerClient = new Map<string, number>();
  private buffered = 0;
  private readonly bufferedPerConnection = new WeakMap<object, number>();

  constructor(private readonly limits: ServerLimits) {}

  /**
   * Admits a request until its response closes, or answers the error to
   * refuse it with (nothing is counted then).
   */
  admit(req: NodeRequest, res: NodeResponse): ConnectError | undefined {
    const client = clientOf(req);
    const fromClient = this.inFlightPerClient.get(client) ?? 0;
    let refusal: string | undefined;
    if (fromClient >= this.limits.maxRequestsPerClient)
      refusal = `too many requests in flight from this client (at most ${this.limits.maxRequestsPerClient}); wait for some to finish`;
    else if (this.inFlight >= this.limits.maxRequestsInFlight) refusal = `the server is busy with ${this.inFlight} requests; try again shortly`;
    if (refusal) {
      this.refused.requests++;
      return new ConnectError(refusal, Code.ResourceExhausted);
    }
    this.inFlight++;
    this.inFlightPerClient.set(client, fromClient + 1);
    res.once("close", () => {
      this.inFlight--;
      const left = (this.inFlightPerClient.get(client) ?? 1) - 1;
      if (left > 0) this.inFlightPerClient.set(client, left);
      else this.inFlightPerClient.delete(client);
    });
    return undefined;
  }

  /**
   * Counts a request's body bytes, as they are read, against the
   * buffered-bytes budgets until its response closes (the server holds a body
   * until it has answered). Going over either budget throws RESOURCE_EXHAUSTED.
   */
  bodyBudget(req: NodeRequest, res: NodeResponse): (bytes: number) => void {
    const connection = connectionOf(req);
    let held = 0;
    let answered = false;
    res.once("close", () => {
      answered = true;
      this.buffered -= held;
      this.bufferedPerConnection.set(connection, (this.bufferedPerConnection.get(connection) ?? held) - held);
      held = 0;
    });
    return (bytes: number) => {
      if (answered) throw new ConnectError("the request was already answered", Code.Canceled);
      const onConnection = this.bufferedPerConnection.get(connection) ?? 0;
      if (onConnection + bytes > this.limits.maxBufferedBytesPerConnection || this.buffered + bytes > this.limits.maxBufferedBytes) {
        this.refused.bodies++;
        const which =
          onConnection + bytes > this.limits.maxBufferedBytesPerConnection
            ? `this connection's requests hold ${onConnection} bytes`
            : "the server holds too many request bytes";
        throw new ConnectError(`${which}; send fewer or smaller requests at once`, Code.ResourceExhausted);
      }
      this.bufferedPerConnection.set(connection, onConnection + bytes);
      this.buffered += bytes;
      held += bytes;
    };
  }

  /**
   * The request's body, counted against the buffered-bytes budgets until its
   * response closes (the server holds a body until it has answered). Going
   * over either budget fails the read with RESOURCE_EXHAUSTED. `admit`: the
   * request's budget when part of its body was already counted.
   */
  meter(req: NodeRequest, res: NodeResponse, body: AsyncIterable<Uint8Array>, admit = this.bodyBudget(req, res)): AsyncIterable<Uint8Array> {
    return (async function* () {
      for await (const chunk of body) {
        admit(chunk.byteLength);
        yield chunk;
      }
    })();
  }
}
