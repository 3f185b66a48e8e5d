import { createValidator } from "@bufbuild/protovalidate";
import { createValidateInterceptor } from "@connectrpc/validate";

/**
 * Enforces the rules proto/ states with buf/validate annotations on every
 * request message: a request breaking one is refused before any handler runs
 * with INVALID_ARGUMENT, a message naming the field ("items[0].quantity: value
 * must be greater than or equal to 1 [int32.gte]") and a buf.validate.Violations
 * detail listing every violation. One validator for the process: it compiles
 * each message's rules (CEL included) once, on first use.
 */
export const schemaRules = createValidateInterceptor({ validator: createValidator() });
