import { create, createFileRegistry, toBinary, type DescFile, type DescService, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";

// The request and response shapes of v1 and v1alpha are the same; only the
// package differs. One answer serves both.
type Request = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;
type Answer = v1.ServerReflectionResponse["messageResponse"];

/** Every file the services are defined in, with everything they import, imports first. */
function filesOf(services: readonly DescService[]): DescFile[] {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.name)) return;
    file.dependencies.forEach(add);
    files.set(file.name, file);
  };
  for (const s of services) add(s.file);
  return [...files.values()];
}

/** A file and what it imports, transitively, serialized as reflection clients expect. */
function descriptorsOf(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    f.dependencies.forEach(visit);
  };
  visit(file);
  return out;
}

function answer(req: Request, services: readonly DescService[], registry: FileRegistry): Answer {
  const notFound = (what: string): Answer => ({
    case: "errorResponse",
    value: create(v1.ErrorResponseSchema, { errorCode: Code.NotFound, errorMessage: `${what} not found` }),
  });
  const files = (file: DescFile | undefined, what: string): Answer =>
    file ? { case: "fileDescriptorResponse", value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: descriptorsOf(file) }) } : notFound(what);
  const request = req.messageRequest;
  switch (request.case) {
    case "listServices":
      return { case: "listServicesResponse", value: create(v1.ListServiceResponseSchema, { service: services.map((s) => ({ name: s.typeName })) }) };
    case "fileByFilename":
      return files(registry.getFile(request.value), `file ${request.value}`);
    case "fileContainingSymbol": {
      // A symbol may be a type, a service, or a method ("pkg.Service.Method").
      const symbol = request.value;
      const parent = symbol.slice(0, symbol.lastIndexOf("."));
      const desc = registry.get(symbol) ?? registry.getService(parent);
      return files(
        desc?.kind === "service" || desc?.kind === "message" || desc?.kind === "enum" || desc?.kind === "extension" ? desc.file : undefined,
        `symbol ${symbol}`,
      );
    }
    case "fileContainingExtension": {
      const extension = registry.getExtensionFor(registry.getMessage(request.value.containingType)!, request.value.extensionNumber);
      return files(extension?.file, `extension ${request.value.extensionNumber} of ${request.value.containingType}`);
    }
    case "allExtensionNumbersOfType": {
      const type = registry.getMessage(request.value);
      if (!type) return notFound(`type ${request.value}`);
      const numbers = [...registry]
        .filter((d) => d.kind === "extension" && d.extendee.typeName === type.typeName)
        .map((d) => (d.kind === "extension" ? d.number : 0));
      return {
        case: "allExtensionNumbersResponse",
        value: create(v1.ExtensionNumberResponseSchema, { baseTypeName: type.typeName, extensionNumber: numbers }),
      };
    }
    default:
      return { case: "errorResponse", value: create(v1.ErrorResponseSchema, { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" }) };
  }
}

/**
 * gRPC server reflection, v1 and v1alpha, so that grpcurl, `buf curl` and
 * Postman can list the services and call them without the .proto files.
 */
export function grpcReflectionRoutes(servedServices: () => readonly DescService[]): (router: ConnectRouter) => void {
  return (router) => {
    let cache: { services: readonly DescService[]; registry: FileRegistry } | undefined;
    const state = () => {
      if (!cache) {
        const services = [...servedServices(), v1.ServerReflection, v1alpha.ServerReflection];
        cache = { services, registry: createFileRegistry(create(FileDescriptorSetSchema, { file: filesOf(services).map((f) => f.proto) })) };
      }
      return cache;
    };
    router.service(v1.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const { services, registry } = state();
          yield create(v1.ServerReflectionResponseSchema, { validHost: req.host, originalRequest: req, messageResponse: answer(req, services, registry) });
        }
      },
    });
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const { services, registry } = state();
          yield create(v1alpha.ServerReflectionResponseSchema, {
            validHost: req.host,
            originalRequest: req,
            messageResponse: answer(req, services, registry) as v1alpha.ServerReflectionResponse["messageResponse"],
          });
        }
      },
    });
  };
}
