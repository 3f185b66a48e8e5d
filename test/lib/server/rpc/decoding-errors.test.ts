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
    ...(
      [
        ["null", "null"],
        ["Array(0)", "an array"],
        ["Array(3)", "an array"],
        ['"cheese"', "a string"],
        ["string", "a string"],
        ["3", "a number (3)"],
        ["-1.5e+300", "a number (-1.5e+300)"],
        ["true", "a bool (true)"],
      ] as const
    ).map(([value, words]) => ({
      case: `a JSON body that is ${words}, not an object: said in words`,
      code: "invalid_argument",
      message: `cannot decode message jafflr.v1.MakeToastieRequest from JSON: ${value}`,
      input: MakeToastieRequestSchema,
      expected: { code: "invalid_argument", message: `the request body must be a JSON object (jafflr.v1.MakeToastieRequest), not ${words}` },
    })),
    {
      case: "invalid JSON: unchanged (JSON.parse says where)",
      code: "invalid_argument",
      message: "cannot decode message jafflr.v1.MakeToastieRequest from JSON: Unexpected token 'x', \"x\" is not valid JSON",
      input: MakeToastieRequestSchema,
      expected: undefined,
    },
    {
      case: "a nested message that is not an object: unchanged (another message's name)",
      code: "invalid_argument",
      message: "cannot decode message jafflr.v1.Toastie from JSON: null",
      input: MakeToastieRequestSchema,
      expected: undefined,
    },
    { case: "any other INTERNAL: unchanged", code: "internal", message: "internal error", input: MakeToastieRequestSchema, expected: undefined },
  ];
  for (const t of table) {
    it(t.case, () => assert.deepEqual(correctDecodingError({ code: t.code, message: t.message }, t.input), t.expected));
  }
});
