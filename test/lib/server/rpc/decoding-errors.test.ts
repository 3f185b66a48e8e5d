import assert from "node:assert/strict";
import { MakeToastieRequestSchema, MakeToastieResponseSchema } from "../../../../gen/jafflr/v1/jafflr_pb.js";
import { PickOrderRequestSchema } from "../../../../gen/chillybin/v2/chillybin_pb.js";
import { correctDecodingError } from "../../../../lib/server/rpc/decoding-errors.js";

describe("correctDecodingError: an undecodable request says what was wrong", () => {
  const table: Array<{
    case: string;
    code: string;
    message: string;
    input: typeof MakeToastieRequestSchema | typeof MakeToastieResponseSchema | typeof PickOrderRequestSchema;
    expected: { code: string; message: string } | undefined;
  }> = [
    {
      case: "bytes that are not protobuf: the caller's, not INTERNAL",
      code: "internal",
      message: "parse binary: premature EOF",
      input: MakeToastieRequestSchema,
      expected: { code: "invalid_argument", message: "parse binary: premature EOF" },
    },
    {
      case: "an unknown enum name: the field is named",
      code: "invalid_argument",
      message: 'cannot decode enum jafflr.v1.Doneness from JSON: "charcoal"',
      input: MakeToastieRequestSchema,
      expected: { code: "invalid_argument", message: 'doneness: unknown value "charcoal"' },
    },
    {
      case: "an enum in a nested message: its path",
      code: "invalid_argument",
      message: 'cannot decode enum jafflr.v1.Doneness from JSON: "x"',
      input: MakeToastieResponseSchema,
      expected: { code: "invalid_argument", message: 'toastie.doneness: unknown value "x"' },
    },
    {
      case: "an enum the request does not hold: unchanged",
      code: "invalid_argument",
      message: 'cannot decode enum jafflr.v1.Doneness from JSON: "x"',
      input: PickOrderRequestSchema,
      expected: undefined,
    },
    { case: "any other INTERNAL: unchanged", code: "internal", message: "internal error", input: MakeToastieRequestSchema, expected: undefined },
  ];
  for (const t of table) {
    it(t.case, () => assert.deepEqual(correctDecodingError({ code: t.code, message: t.message }, t.input), t.expected));
  }
});
