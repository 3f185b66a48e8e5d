import { create, type DescMessage } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { createValidateInterceptor } from "@connectrpc/validate";
import { schemaPatternMatch } from "./schema-patterns.js";

/** One validator for the process: it compiles each message type's rules (CEL included) once; patterns: schema-patterns.ts. */
const validator = createValidator({ regexMatch: schemaPatternMatch });
const compiled = new Set<string>();

/**
 * Enforces the rules proto/ states with buf/validate annotations on every
 * request message: a request breaking one is refused before any handler runs
 * with INVALID_ARGUMENT, a message naming the field ("items[0].quantity: value
 * must be greater than or equal to 1 [int32.gte]") and a buf.validate.Violations
 * detail listing every violation.
 */
export const schemaRules = createValidateInterceptor({ validator });

/**
 * Compiles the rules of these message types now, before the server listens.
 * The first validation in a process builds the CEL environment and compiles
 * the type's rules and patterns: about 300 ms during which the event loop
 * answers nothing, so a new instance's first requests, and the load
 * balancer's health check beside them, would wait (a rolling deploy saw its
 * new instances marked down by a 100 ms health check).
 */
export function compileSchemaRules(messages: Iterable<DescMessage>): void {
  for (const message of messages) {
    if (compiled.has(message.typeName)) continue;
    validator.validate(message, create(message));
    compiled.add(message.typeName);
  }
}

/** Whether compileSchemaRules has compiled the rules of this message type. */
export function schemaRulesCompiled(typeName: string): boolean {
  return compiled.has(typeName);
}
