import { ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

// PostgreSQL's text cannot hold U+0000: a string with one fails deep in a
// query, as an INTERNAL error the caller cannot act on. Protobuf strings may
// carry it, so every string in a request is checked at the door, on every
// protocol (REST runs the same interceptors), and refused naming the field.
const NUL = "\u0000";

function isString(field: DescField): boolean {
  return (field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")) && field.scalar === ScalarType.STRING;
}

/** The path (JSON names, as REST and Connect JSON callers write them) of the first string holding NUL, if any. */
export function firstUnstorableString(message: ReflectMessage, prefix = ""): string | undefined {
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const path = `${prefix}${field.jsonName}`;
    switch (field.fieldKind) {
      case "scalar":
        if (isString(field) && (message.get(field) as string).includes(NUL)) return path;
        break;
      case "message": {
        const found = firstUnstorableString(message.get(field), `${path}.`);
        if (found) return found;
        break;
      }
      case "list": {
        let i = 0;
        for (const item of message.get(field)) {
          if (isString(field) && (item as string).includes(NUL)) return `${path}[${i}]`;
          if (field.listKind === "message") {
            const found = firstUnstorableString(item as ReflectMessage, `${path}[${i}].`);
            if (found) return found;
          }
          i++;
        }
        break;
      }
      case "map":
        for (const [key, value] of message.get(field)) {
          if (typeof key === "string" && key.includes(NUL)) return `${path} (a key)`;
          if (field.mapKind === "scalar" && field.scalar === ScalarType.STRING && (value as string).includes(NUL)) return `${path}["${key}"]`;
          if (field.mapKind === "message") {
            const found = firstUnstorableString(value as ReflectMessage, `${path}["${key}"].`);
            if (found) return found;
          }
        }
        break;
    }
  }
  return undefined;
}

/** Refuses, with INVALID_ARGUMENT naming the field, a unary request holding a string PostgreSQL cannot store. */
export const rejectUnstorableStrings: Interceptor = (next) => async (req) => {
  if (!req.stream) {
    const field = firstUnstorableString(reflect(req.method.input as DescMessage, req.message as Message));
    if (field) throw new ConnectError(`${field} must not contain a NUL character (U+0000)`, Code.InvalidArgument);
  }
  return next(req);
};
