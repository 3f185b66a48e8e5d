// Stage 4a: one query value, as text, to its field's proto3 JSON value.
import assert from "node:assert/strict";
import type { JsonValue } from "@bufbuild/protobuf";
import fc from "fast-check";
import { SearchRequestSchema } from "../../gen/transcoding/testing/v1/library_pb.js";
import { enumQueryPattern, textToJson, ValueError } from "../../../lib/transcoding/query-values.js";

const field = (name: string) => {
  const found = SearchRequestSchema.fields.find((f) => f.name === name);
  assert.ok(found, name);
  return found;
};

describe("query values → proto3 JSON (textToJson)", () => {
  const accepted: Array<[string, string, JsonValue]> = [
    ["query", "cheese on toast", "cheese on toast"],
    ["token", "YWJj", "YWJj"],
    ["page_size", "25", "25"],
    ["page_size", "-3", "-3"],
    ["offset", "9007199254740993", "9007199254740993"],
    ["include_drafts", "true", true],
    ["include_drafts", "TRUE", true],
    ["include_drafts", "0", false],
    ["min_rating", "4.5", "4.5"],
    ["min_rating", "1e3", "1e3"],
    ["min_rating", "NaN", "NaN"],
    ["min_rating", "-Infinity", "-Infinity"],
    ["genre", "poetry", "GENRE_POETRY"],
    ["genre", "science-fiction", "GENRE_SCIENCE_FICTION"],
    ["genre", "GENRE_POETRY", "GENRE_POETRY"],
    ["genre", "2", 2],
    ["genre", "7", 7], // proto3 enums are open: a number the enum does not define is kept
    ["genre", "2147483647", 2147483647],
    ["genre", "-2147483648", -2147483648],
    ["tags", "a", "a"],
    ["published_after", "2026-11-30T12:00:00Z", "2026-11-30T12:00:00Z"],
    ["max_duration", "1.5s", "1.5s"],
    ["min_pages", "100", "100"],
    ["offset", "-9223372036854775808", "-9223372036854775808"], // int64's least: kept as text, no precision lost
    ["in_print", "false", false],
  ];
  for (const [name, raw, json] of accepted) {
    it(`${name}=${raw} → ${JSON.stringify(json)}`, () => assert.deepEqual(textToJson(field(name), raw), json));
  }

  const refused: Array<[string, string, RegExp]> = [
    ["include_drafts", "yes", /"yes" is not a bool \(true or false\)/],
    ["page_size", "1.5", /"1.5" is not a whole number/],
    ["page_size", "ten", /"ten" is not a whole number/],
    ["page_size", "-2147483649", /^-2147483649 is out of range for int32 \(-2147483648 to 2147483647\)$/],
    ["min_pages", "99999999999999999999", /^99999999999999999999 is out of range for int32/],
    ["offset", "9223372036854775808", /^9223372036854775808 is out of range for int64 \(-9223372036854775808 to 9223372036854775807\)$/],
    ["min_rating", "4,5", /"4,5" is not a number/],
    ["genre", "cookbook", /"cookbook" is not a Genre; one of unspecified, science-fiction, poetry/],
    ["genre", "2147483648", /^2147483648 is out of range for the enum Genre, an int32 \(-2147483648 to 2147483647\)$/],
    ["genre", "-99999999999", /^-99999999999 is out of range for the enum Genre, an int32/],
    ["filter", "x", /a transcoding\.testing\.v1\.Filter cannot be set from one query value; set its fields/],
    ["labels", "a", /map fields cannot be set from the query; send a JSON body/],
  ];
  for (const [name, raw, message] of refused) {
    it(`${name}=${raw} is refused: ${message.source}`, () => {
      assert.throws(
        () => textToJson(field(name), raw),
        (e: unknown) => e instanceof ValueError && message.test(e.message),
      );
    });
  }
});

describe("enumQueryPattern: the OpenAPI pattern of an enum query parameter says what textToJson accepts", () => {
  const genre = field("genre");
  assert.ok(genre.fieldKind === "enum");
  const accepts = (raw: string) => {
    try {
      textToJson(genre, raw);
      return true;
    } catch {
      return false;
    }
  };
  const spellings = fc.oneof(
    fc.constantFrom("poetry", "POETRY", "Poetry", "science-fiction", "science_fiction", "Science-Fiction", "GENRE_POETRY", "genre_poetry", "genre-poetry"),
    fc.constantFrom("GENRE_UNSPECIFIED", "unspecified", "0", "1", "2", "-1", "9", "", "cookbook", "poetry ", "GENREPOETRY", "genre__poetry"),
    // int32's edges, each side, with and without leading zeros
    fc.constantFrom("2147483647", "2147483648", "-2147483648", "-2147483649", "002147483647", "-0", "1999999999", "2200000000", "99999999999"),
    fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map(String),
    fc.string({ maxLength: 12 }),
  );

  it("any number: the same texts, for any text", () => {
    const pattern = new RegExp(enumQueryPattern(genre.enum, false), "u");
    fc.assert(fc.property(spellings, (raw) => pattern.test(raw) === accepts(raw)));
  });

  it("defined numbers only (enum.defined_only): the names, and the defined numbers", () => {
    const pattern = new RegExp(enumQueryPattern(genre.enum, true), "u");
    for (const raw of ["0", "1", "2", "poetry"]) assert.ok(pattern.test(raw), raw);
    for (const raw of ["3", "-1", "99"]) assert.ok(!pattern.test(raw), raw);
  });
});
