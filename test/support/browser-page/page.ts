// The page test/services/browser.test.ts opens in Chromium, bundled by esbuild
// and served from an origin of its own: it calls chillybin and jafflr as a web
// app would, with Connect-Web (Connect JSON and binary, gRPC-Web binary) and
// the official grpc-web runtime in text mode (its default). Each call answers
// plain JSON for the test to read; the page itself asserts nothing.
import { create, type DescMessage, type DescService, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { GrpcWebClientBase, MethodDescriptor, MethodType, type RpcError } from "grpc-web";
import { ChillybinService as ChillybinV1 } from "../../../gen/chillybin/v1/chillybin_pb.js";
import { StockRefusalSchema } from "../../../gen/chillybin/v2/chillybin_pb.js";
import { Health, HealthCheckRequestSchema, type HealthCheckResponse, HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { Doneness, JafflrService, MakeToastieRequestSchema, type MakeToastieResponse } from "../../../gen/jafflr/v1/jafflr_pb.js";

/** The protocols Connect-Web speaks from a page. */
export type WebProtocol = "connect-json" | "connect-binary" | "grpc-web";

/** What a call answered, as plain JSON. */
export type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; code: string; message: string; refusal?: { ingredient: string; reason: string }; violations?: string[] };

function transportFor(protocol: WebProtocol, baseUrl: string, useHttpGet = false): Transport {
  if (protocol === "grpc-web") return createGrpcWebTransport({ baseUrl });
  return createConnectTransport({ baseUrl, useBinaryFormat: protocol === "connect-binary", useHttpGet });
}

/** An error as the page reads it: its code, and the typed details it carries. */
function failed(error: unknown): Outcome {
  const e = ConnectError.from(error);
  const [refusal] = e.findDetails(StockRefusalSchema);
  const [violations] = e.findDetails(ViolationsSchema);
  return {
    ok: false,
    code: String(e.code),
    message: e.rawMessage,
    refusal: refusal && { ingredient: refusal.ingredient, reason: String(refusal.reason) },
    violations: violations?.violations.map((v) => v.ruleId),
  };
}

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return failed(error);
  }
}

/** A toastie through jafflr: the ingredients the page asks for, as Connect-Web sends them. */
function toastie(protocol: WebProtocol, jafflrUrl: string, ingredients: string[]): Promise<Outcome> {
  return outcome(async () => {
    const { toastie } = await createClient(JafflrService, transportFor(protocol, jafflrUrl)).makeToastie({
      ingredients,
      doneness: Doneness.MEDIUM,
      customer: "browser",
    });
    return { ingredients: toastie?.ingredients, orderIds: toastie?.orderIds.length };
  });
}

/** GetStock with Connect GET (a side-effect-free RPC): what an HTTP cache can keep. */
function stockByGet(chillybinUrl: string): Promise<Outcome> {
  return outcome(async () => {
    const { stock } = await createClient(ChillybinV1, transportFor("connect-json", chillybinUrl, true)).getStock({});
    return stock;
  });
}

/** Watches grpc.health.v1 until the first status, then ends the stream from the page. */
function watchHealth(protocol: WebProtocol, url: string): Promise<Outcome> {
  return outcome(async () => {
    const leave = new AbortController();
    const statuses: string[] = [];
    for await (const answer of createClient(Health, transportFor(protocol, url)).watch({ service: "" }, { signal: leave.signal })) {
      statuses.push(HealthCheckResponse_ServingStatus[answer.status]);
      leave.abort();
      break;
    }
    return statuses;
  });
}

// The official grpc-web runtime, as protoc-gen-grpc-web's generated clients
// use it (mode=grpcwebtext): a MethodDescriptor per method, serialising with
// protobuf-es where the generated code would use google-protobuf.
const textClient = new GrpcWebClientBase({ format: "text" });

/** What protoc-gen-grpc-web would generate for a method, from its protobuf-es descriptor. */
function descriptorOf<I extends DescMessage, O extends DescMessage>(method: { parent: DescService; name: string; methodKind: string; input: I; output: O }) {
  return new MethodDescriptor<MessageShape<I>, MessageShape<O>>(
    `/${method.parent.typeName}/${method.name}`,
    method.methodKind === "server_streaming" ? MethodType.SERVER_STREAMING : MethodType.UNARY,
    Object as never,
    Object as never,
    (request: MessageShape<I>) => toBinary(method.input, request),
    (bytes: Uint8Array) => fromBinary(method.output, bytes),
  );
}

const makeToastieMethod = descriptorOf(JafflrService.method.makeToastie);
const watchMethod = descriptorOf(Health.method.watch);

/**
 * The StockRefusal in grpc-status-details-bin (a google.rpc.Status: code 1,
 * message 2, details 3 as google.protobuf.Any), read as generated grpc-web code
 * would read it with google-protobuf.
 */
function refusalIn(detailsBin: string | undefined): { ingredient: string; reason: string } | undefined {
  if (!detailsBin) return undefined;
  const padded = detailsBin.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (detailsBin.length % 4)) % 4);
  const status = new BinaryReader(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)));
  while (status.pos < status.len) {
    const [field, wireType] = status.tag();
    if (field !== 3) {
      status.skip(wireType);
      continue;
    }
    const any = fromBinary(AnySchema, status.bytes());
    if (any.typeUrl.endsWith("/chillybin.v2.StockRefusal")) {
      const refusal = fromBinary(StockRefusalSchema, any.value);
      return { ingredient: refusal.ingredient, reason: String(refusal.reason) };
    }
  }
  return undefined;
}

function textToastie(jafflrUrl: string, ingredients: string[]): Promise<Outcome> {
  const request = create(MakeToastieRequestSchema, { ingredients, doneness: Doneness.MEDIUM, customer: "browser-text" });
  return new Promise((resolve) => {
    textClient.rpcCall(jafflrUrl + makeToastieMethod.getName(), request, {}, makeToastieMethod, (error: RpcError | null, response: MakeToastieResponse) => {
      if (error) {
        resolve({ ok: false, code: String(error.code), message: error.message, refusal: refusalIn(error.metadata?.["grpc-status-details-bin"]) });
        return;
      }
      resolve({ ok: true, value: { ingredients: response.toastie?.ingredients, orderIds: response.toastie?.orderIds.length } });
    });
  });
}

function textWatch(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const stream = textClient.serverStreaming(url + watchMethod.getName(), create(HealthCheckRequestSchema, { service: "" }), {}, watchMethod);
    stream.on("data", (answer: HealthCheckResponse) => {
      stream.cancel(); // the page leaves once it has read what it wanted
      resolve({ ok: true, value: [HealthCheckResponse_ServingStatus[answer.status]] });
    });
    stream.on("error", (error: RpcError) => resolve({ ok: false, code: String(error.code), message: error.message }));
  });
}

const calls = { toastie, stockByGet, watchHealth, textToastie, textWatch };
export type PageCalls = typeof calls;
(globalThis as unknown as { calls: PageCalls }).calls = calls;
