import { readFileSync } from "node:fs";
import { createFileRegistry, fromBinary, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { routesOf, type Route } from "../../lib/transcoding/index.js";

/** How a REST client calls an RPC: method, path template, what the body and the answer are. */
function bindingOf(route: Route): string {
  const body = route.body === undefined ? "" : ` body=${route.body === "*" ? "*" : route.body.name}`;
  const responseBody = route.responseBody ? ` response_body=${route.responseBody.name}` : "";
  return `${route.httpMethod} ${route.template.source}${body}${responseBody} → ${route.rpc.parent.typeName}.${route.rpc.name}`;
}

/** Every google.api.http binding of the services in a buf image (`buf build -o image.binpb`). */
export function httpBindings(imagePath: string): Set<string> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(imagePath)));
  const services = [...registry].filter((d): d is DescService => d.kind === "service");
  return new Set(routesOf(services).map(bindingOf));
}

/**
 * The bindings REST clients of `base` use that `head` no longer serves as
 * they were: a removed or changed method, path, body or response body. buf
 * breaking does not look at annotations, so without this a REST path could
 * change under its clients while the schema check passes.
 */
export function removedBindings(basePath: string, headPath: string): string[] {
  const head = httpBindings(headPath);
  return [...httpBindings(basePath)].filter((binding) => !head.has(binding));
}
