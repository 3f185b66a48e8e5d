import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { NodeResponse, RequestHandler } from "../../http/index.js";
import { DEFAULT_LIMITS, type ServerLimits } from "./limits.js";

/** The client connection preface every HTTP/2 connection starts with (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** The window in which an HTTP/2 connection's stream resets are counted. */
const RESET_WINDOW_MS = 10_000;

/** What the front door turned away, for metrics. */
export interface FrontDoorRefusals {
  /** Connections closed at once: too many in total or from one client. */
  connections: number;
  /** HTTP/2 connections sent GOAWAY for resetting too many streams. */
  resetFloods: number;
  /** Connections (or HTTP/2 streams) closed for taking too long to send a request, for idling, or for not taking their answer. */
  timeouts: number;
}

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
 *
 * It is also the front door's bouncer (see limits.ts): connections in total
 * and per client address, HTTP/1.1 header, request and keep-alive timeouts,
 * HTTP/2 concurrent streams, idle sessions, a whole request's time on a
 * stream, a cap on the streams one connection may reset (the HTTP/2
 * "rapid reset" attack), and the time a response may wait for its client to
 * take its bytes.
 */
export class H1H2cServer {
  readonly http1: http.Server;
  readonly http2: http2.Http2Server;
  readonly listener: net.Server;
  readonly refused: FrontDoorRefusals = { connections: 0, resetFloods: 0, timeouts: 0 };
  private readonly sockets = new Set<net.Socket>();
  private readonly perClient = new Map<string, number>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly inFlight = new Set<NodeResponse>();
  /** Responses waiting for their client to take their bytes: how many were waiting, and since when (see sweepStalledResponses). */
  private readonly waitingOnClient = new Map<NodeResponse, { bytes: number; since: number }>();
  private readonly stallSweep: NodeJS.Timeout;
  private draining = false;

  constructor(
    handler: RequestHandler,
    private readonly limits: ServerLimits = DEFAULT_LIMITS,
  ) {
    const tracked: RequestHandler = (req, res) => {
      this.inFlight.add(res);
      res.once("close", () => {
        this.inFlight.delete(res);
        this.waitingOnClient.delete(res);
      });
      if (this.draining) closeAfterResponse(res);
      handler(req, res);
    };
    this.http1 = http.createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        // How often Node looks for connections past those timeouts.
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, limits.headersTimeoutMs / 2)),
      },
      tracked,
    );
    // Node arms the header and request timeouts when its http.Server emits
    // "listening". This one never listens (the sniffer hands it sockets), so
    // arm them here; without it a half-sent request holds a connection forever.
    this.http1.emit("listening");
    this.http2 = http2.createServer(
      {
        settings: { maxConcurrentStreams: limits.h2MaxConcurrentStreams },
        // Streams opened beyond maxConcurrentStreams are refused; a client that keeps doing it is closed.
        maxSessionRejectedStreams: limits.h2MaxResetsPer10s,
      },
      tracked,
    );
    this.http2.on("session", (session) => this.watchSession(session));
    this.listener = net.createServer((socket) => this.route(socket));
    // One timer for every response (none per request): a few times per send timeout, at most once a second.
    this.stallSweep = setInterval(() => this.sweepStalledResponses(), Math.min(1_000, Math.max(10, limits.sendTimeoutMs / 4))).unref();
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

  /** Connections open right now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Ends every connection at once, and stops the HTTP/1.1 timeout checks and the sweep for stalled responses. */
  destroyConnections(): void {
    clearInterval(this.stallSweep);
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    this.http1.close();
  }

  /**
   * A client that stops reading leaves its answers' bytes waiting (HTTP/2 flow
   * control, a full TCP window), and holds its requests in flight, their
   * admission and their memory, for as long as it likes: a few such clients
   * would hold every slot (MAX_REQUESTS_IN_FLIGHT). A response whose waiting
   * bytes have not gone down for sendTimeoutMs is given up: its HTTP/2 stream
   * reset (CANCEL), its HTTP/1.1 connection closed. A handler still working
   * has no bytes waiting, so a slow call, or a quiet stream, is never cut.
   */
  private sweepStalledResponses(now = Date.now()): void {
    for (const res of this.inFlight) {
      const bytes = res.writableLength + (res.writableEnded && !res.writableFinished ? 1 : 0);
      const waiting = this.waitingOnClient.get(res);
      if (bytes === 0) this.waitingOnClient.delete(res);
      else if (!waiting || bytes < waiting.bytes) this.waitingOnClient.set(res, { bytes, since: now });
      else if (now - waiting.since >= this.limits.sendTimeoutMs) {
        this.waitingOnClient.delete(res);
        this.refused.timeouts++;
        if (res instanceof http.ServerResponse) res.socket?.destroy();
        else res.stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    }
  }

  private route(socket: net.Socket): void {
    const client = socket.remoteAddress ?? "unknown";
    const fromClient = this.perClient.get(client) ?? 0;
    if (this.sockets.size >= this.limits.maxConnections || fromClient >= this.limits.maxConnectionsPerClient) {
      this.refused.connections++;
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.perClient.set(client, fromClient + 1);
    socket.once("close", () => {
      this.sockets.delete(socket);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    });
    socket.on("error", () => socket.destroy());
    // The first bytes get the time HTTP/1.1 headers get.
    socket.setTimeout(this.limits.headersTimeoutMs, () => {
      this.refused.timeouts++;
      socket.destroy();
    });

    let seen = Buffer.alloc(0);
    const onReadable = () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) seen = Buffer.concat([seen, chunk]);
      const isHttp2 = startsWithHttp2Preface(seen);
      if (isHttp2 === undefined) return;
      socket.off("readable", onReadable);
      socket.setTimeout(0);
      socket.unshift(seen);
      (isHttp2 ? this.http2 : this.http1).emit("connection", socket);
    };
    socket.on("readable", onReadable);
  }

  /** Idle timeout, per-stream request timeout and the reset cap for one HTTP/2 connection. */
  private watchSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on("error", () => {}); // a session's failure ends that session only (and is counted where it is caused)
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const startIdleTimer = () => {
      idle = setTimeout(() => {
        this.refused.timeouts++;
        session.close(); // GOAWAY: a well-behaved client reconnects when it next needs to
      }, this.limits.h2IdleTimeoutMs).unref();
    };
    let windowStart = Date.now();
    let resets = 0;
    const countReset = () => {
      const now = Date.now();
      if (now - windowStart > RESET_WINDOW_MS) [windowStart, resets] = [now, 0];
      if (++resets === this.limits.h2MaxResetsPer10s + 1) {
        this.refused.resetFloods++;
        // Not from inside the stream's close: Node aborts the process when a session is destroyed in nghttp2's callback.
        setImmediate(() =>
          session.destroy(new Error(`more than ${this.limits.h2MaxResetsPer10s} streams reset in 10 s`), http2.constants.NGHTTP2_ENHANCE_YOUR_CALM),
        );
      }
    };
    startIdleTimer();
    session.on("stream", (stream) => {
      open++;
      clearTimeout(idle);
      // The whole request must arrive in time, as HTTP/1.1's requestTimeout asks.
      const requestTimer = stream.endAfterHeaders
        ? undefined
        : setTimeout(() => {
            this.refused.timeouts++;
            stream.close(http2.constants.NGHTTP2_CANCEL);
          }, this.limits.requestTimeoutMs).unref();
      stream.once("end", () => clearTimeout(requestTimer));
      stream.once("close", () => {
        clearTimeout(requestTimer);
        // Reset (RST_STREAM) rather than completed: by the client, or by us for taking too long.
        if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) countReset();
        if (--open === 0 && !session.closed && !session.destroyed) startIdleTimer();
      });
    });
    session.once("close", () => {
      clearTimeout(idle);
      this.sessions.delete(session);
    });
  }
}

/** Makes an HTTP/1.1 connection close once this response is complete. */
function closeAfterResponse(res: NodeResponse): void {
  if (!(res instanceof http.ServerResponse)) return; // HTTP/2 sessions get GOAWAY instead
  if (!res.headersSent) res.shouldKeepAlive = false;
  else res.once("finish", () => res.socket?.end());
}
