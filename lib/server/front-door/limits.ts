import { ConfigError, readByteSize, readNumber, type Env } from "../../config.js";

/**
 * Everything one client (or all of them together) can hold on a server, each
 * bounded so that a careless or hostile client cannot take the process down
 * or starve the others. One place for the defaults; each has an environment
 * variable (the README's "Limits" table lists them).
 */
export interface ServerLimits {
  /** Open connections in total; beyond it a new connection is closed at once. */
  maxConnections: number;
  /** Open connections from one client address. */
  maxConnectionsPerClient: number;
  /** Requests being served at once, in total; beyond it RESOURCE_EXHAUSTED (HTTP 429). */
  maxRequestsInFlight: number;
  /** Requests being served at once for one client address. */
  maxRequestsPerClient: number;
  /** Request body bytes read but not yet answered, per connection (an HTTP/2 session's streams together). */
  maxBufferedBytesPerConnection: number;
  /** The same, over every connection. */
  maxBufferedBytes: number;
  /** HTTP/2 streams a client may have open on one connection (the SETTINGS it is sent). */
  h2MaxConcurrentStreams: number;
  /** Streams a client may reset (or have refused) on one connection in any 10 s before it gets GOAWAY. */
  h2MaxResetsPer10s: number;
  /** An HTTP/2 connection with no open stream for this long is closed (GOAWAY). */
  h2IdleTimeoutMs: number;
  /** HTTP/1.1: time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (HTTP/1.1 and HTTP/2 streams alike). */
  requestTimeoutMs: number;
  /** HTTP/1.1: how long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /**
   * How long a response may wait for its client to take any of its bytes (a
   * client that stopped reading); then its HTTP/2 stream is reset, its
   * HTTP/1.1 connection closed. As nginx's send_timeout: between two steps of
   * progress, not for the whole response.
   */
  sendTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  maxConnections: 1_000,
  maxConnectionsPerClient: 100,
  maxRequestsInFlight: 1_000,
  maxRequestsPerClient: 200,
  maxBufferedBytesPerConnection: 8 * 1024 * 1024,
  maxBufferedBytes: 64 * 1024 * 1024,
  h2MaxConcurrentStreams: 100,
  h2MaxResetsPer10s: 200,
  h2IdleTimeoutMs: 300_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  sendTimeoutMs: 30_000,
};

/** Each limit's environment variable. */
export const LIMIT_VARIABLES: Readonly<Record<keyof ServerLimits, string>> = {
  maxConnections: "MAX_CONNECTIONS",
  maxConnectionsPerClient: "MAX_CONNECTIONS_PER_CLIENT",
  maxRequestsInFlight: "MAX_REQUESTS_IN_FLIGHT",
  maxRequestsPerClient: "MAX_REQUESTS_PER_CLIENT",
  maxBufferedBytesPerConnection: "MAX_BUFFERED_BYTES_PER_CONNECTION",
  maxBufferedBytes: "MAX_BUFFERED_BYTES",
  h2MaxConcurrentStreams: "H2_MAX_CONCURRENT_STREAMS",
  h2MaxResetsPer10s: "H2_MAX_RESETS_PER_10S",
  h2IdleTimeoutMs: "H2_IDLE_TIMEOUT_MS",
  headersTimeoutMs: "HEADERS_TIMEOUT_MS",
  requestTimeoutMs: "REQUEST_TIMEOUT_MS",
  keepAliveTimeoutMs: "KEEP_ALIVE_TIMEOUT_MS",
  sendTimeoutMs: "SEND_TIMEOUT_MS",
};

const BYTE_SIZES = new Set<keyof ServerLimits>(["maxBufferedBytesPerConnection", "maxBufferedBytes"]);

/**
 * Reads every limit from the environment (defaults for those unset). A
 * connection must be able to buffer the largest body accepted, so the byte
 * budgets may not be smaller than `maxBodyBytes`.
 */
export function readServerLimits(env: Env, maxBodyBytes: number): ServerLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_VARIABLES) as Array<keyof ServerLimits>) {
    const name = LIMIT_VARIABLES[key];
    limits[key] = BYTE_SIZES.has(key) ? readByteSize(env, name, DEFAULT_LIMITS[key]) : readNumber(env, name, DEFAULT_LIMITS[key], 1);
  }
  for (const key of BYTE_SIZES) {
    if (limits[key] < maxBodyBytes) throw new ConfigError(`${LIMIT_VARIABLES[key]} (${limits[key]}) must be at least MAX_BODY_BYTES (${maxBodyBytes})`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not be larger than REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`);
  }
  return limits;
}
