import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";

/** The client connection preface every HTTP/2 connection starts with (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** How long a new connection may take to send its first bytes. */
const SNIFF_TIMEOUT_MS = 10_000;

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/**
 * Decides from the first bytes whether a connection speaks HTTP/2 with prior
 * knowledge. Answers as soon as the bytes seen so far agree with the whole
 * preface (true) or stop agreeing with it (false).
 */
export function startsWithHttp2Preface(seen: Buffer): boolean | undefined {
  const n = Math.min(seen.length, HTTP2_PREFACE.length);
  if (!seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) return false;
  return n === HTTP2_PREFACE.length ? true : undefined;
}

/**
 * One cleartext port for HTTP/1.1 and h2c. Node's http2 can only fall back to
 * HTTP/1 behind TLS (ALPN), so we read the first bytes of each connection, put
 * them back, and hand the socket to the HTTP/2 or the HTTP/1.1 server.
 */
export class H1H2cServer {
  readonly http1: http.Server;
  readonly http2: http2.Http2Server;
  readonly listener: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly inFlight = new Set<http.ServerResponse | http2.Http2ServerResponse>();
  private draining = false;

  constructor(handler: RequestHandler) {
    const tracked: RequestHandler = (req, res) => {
      this.inFlight.add(res);
      res.once("close", () => this.inFlight.delete(res));
      if (this.draining) closeAfterResponse(res);
      handler(req, res);
    };
    this.http1 = http.createServer(tracked);
    this.http2 = http2.createServer(tracked);
    this.http2.on("session", (session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
    });
    this.listener = net.createServer((socket) => this.route(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.listener.once("error", reject);
      this.listener.listen(port, host, () => {
        this.listener.off("error", reject);
        resolve((this.listener.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections at once; existing ones keep being served.
   * (net.Server.close's callback waits for every connection to end, so the
   * caller drains them rather than waiting for that.)
   */
  stopAccepting(): void {
    if (this.listener.listening) this.listener.close();
  }

  /**
   * Asks every client to go away once its current requests are done: HTTP/2
   * sessions get GOAWAY, idle HTTP/1.1 keep-alive connections close now and
   * busy ones after their current response.
   */
  drainConnections(): void {
    this.draining = true;
    for (const session of this.sessions) session.close();
    for (const res of this.inFlight) closeAfterResponse(res);
    this.http1.closeIdleConnections();
  }

  /** Requests whose response has not finished yet. */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Ends every connection at once. */
  destroyConnections(): void {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
  }

  private route(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());

    let seen = Buffer.alloc(0);
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) seen = Buffer.concat([seen, chunk]);
      const isHttp2 = startsWithHttp2Preface(seen);
      if (isHttp2 === undefined) return;
      socket.off("readable", onReadable);
      socket.setTimeout(0);
      socket.unshift(seen);
      (isHttp2 ? this.http2 : this.http1).emit("connection", socket);
    };
    socket.on("readable", onReadable);
  }
}

/** Makes an HTTP/1.1 connection close once this response is complete. */
function closeAfterResponse(res: http.ServerResponse | http2.Http2ServerResponse): void {
  if (!(res instanceof http.ServerResponse)) return; // HTTP/2 sessions get GOAWAY instead
  if (!res.headersSent) res.shouldKeepAlive = false;
  else res.once("finish", () => res.socket?.end());
}
