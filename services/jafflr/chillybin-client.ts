import type * as http from "node:http";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { createUnaryGrpcTransport } from "../../lib/client/index.js";
import { GuardedSessionManager } from "../../lib/client/index.js";
import { resilientCalls, type ResilienceOptions } from "../../lib/client/index.js";
import { traceClientCalls } from "../../lib/client/index.js";
import { propagateRequestId } from "../../lib/client/index.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";

/** The generated Connect clients for the chillybin version jafflr calls (v2: v1 Pick is deprecated). */
export interface ChillybinClients {
  v2: Client<typeof v2.ChillybinService>;
}

export interface ChillybinTransportOptions {
  baseUrl: string;
  /** HTTP/2 (h2c) multiplexes every call over one reused connection; 1.1 uses a keep-alive pool. */
  httpVersion?: "1.1" | "2";
  /** JSON instead of binary protobuf on the wire (what contract tests record). */
  useJson?: boolean;
  /** For HTTP/1.1: the agent to connect with (default: Node's global keep-alive agent). */
  httpAgent?: http.Agent;
  /** gRPC's unary calls through the direct transport (lib/client/unary-grpc-transport.ts) unless false (DIRECT_PATHS without "client"). */
  directCalls?: boolean;
  /** Retries and circuit breaking (see lib/client/resilient-calls.ts); defaults apply when omitted. */
  resilience?: Omit<ResilienceOptions, "target">;
}

const circuits = new WeakMap<Transport, () => number>();

/**
 * The state of the circuit breaker a transport made by createChillybinTransport
 * calls through (cockatiel's CircuitState: 0 closed, 1 open, 2 half-open, 3
 * isolated), or undefined for any other transport.
 */
export function chillybinCircuitState(transport: Transport): (() => number) | undefined {
  return circuits.get(transport);
}

/** The transport jafflr uses to reach chillybin: gRPC over one HTTP/2 connection, or Connect (JSON, HTTP/1.1) where asked. */
export function createChillybinTransport(options: ChillybinTransportOptions): Transport {
  const resilience = resilientCalls({ target: "chillybin", ...options.resilience });
  const transport = chillybinTransportWith(options, [propagateRequestId, traceClientCalls, resilience]);
  circuits.set(transport, () => resilience.breaker.state);
  return transport;
}

function chillybinTransportWith(options: ChillybinTransportOptions, interceptors: Interceptor[]): Transport {
  const common = {
    baseUrl: options.baseUrl,
    useBinaryFormat: !options.useJson,
    interceptors,
  };
  if (options.httpVersion === "1.1") {
    return createConnectTransport({ ...common, httpVersion: "1.1", ...(options.httpAgent ? { nodeOptions: { agent: options.httpAgent } } : {}) });
  }
  // Close an idle connection well before chillybin would (H2_IDLE_TIMEOUT_MS, 5 minutes by
  // default): a call racing the server's GOAWAY for idling would have to be retried.
  const sessionManager = new GuardedSessionManager(options.baseUrl, { idleConnectionTimeoutMs: 60_000 });
  if (options.useJson) return createConnectTransport({ ...common, httpVersion: "2", sessionManager });
  if (options.directCalls === false) return createGrpcTransport({ ...common, sessionManager });
  // gRPC, each unary call sent and read whole (lib/client/unary-grpc-transport.ts):
  // a toastie's one call costs jafflr a fraction of what Connect's pipeline does.
  return createUnaryGrpcTransport({
    baseUrl: options.baseUrl,
    sessionManager,
    interceptors: common.interceptors,
    streaming: createGrpcTransport({ ...common, sessionManager }),
  });
}

/** The clients, over one transport (one connection). */
export function createChillybinClients(transport: Transport): ChillybinClients {
  return { v2: createClient(v2.ChillybinService, transport) };
}
