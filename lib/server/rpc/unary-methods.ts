import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { createMethodImplSpec, createServiceImplSpec, type ConnectRouter, type MethodImplSpec } from "@connectrpc/connect";
import type { UnarySpec } from "./direct/index.js";

/**
 * A router that registers on `router` and also keeps every unary method's
 * implementation by its request path ("/package.Service/Method"): what the
 * direct gRPC path (unary-grpc.ts) calls.
 */
export function unaryMethodsOf(router: ConnectRouter): { router: ConnectRouter; specs: ReadonlyMap<string, UnarySpec> } {
  const specs = new Map<string, UnarySpec>();
  const keep = (spec: MethodImplSpec) => {
    if (spec.kind === "unary") specs.set(`/${spec.method.parent.typeName}/${spec.method.name}`, spec);
  };
  const recording: ConnectRouter = {
    handlers: router.handlers,
    service(service: DescService, implementation, options) {
      router.service(service, implementation, options);
      for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) keep(spec);
      return recording;
    },
    rpc(method: DescMethod, implementation, options) {
      router.rpc(method, implementation as never, options);
      keep(createMethodImplSpec(method, implementation as never));
      return recording;
    },
  } as ConnectRouter;
  return { router: recording, specs };
}
