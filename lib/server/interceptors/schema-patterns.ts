import { RE2JS } from "@bufbuild/re2";

// protovalidate matches `string.pattern` rules with RE2 compiled to
// JavaScript (@bufbuild/re2): linear time, RE2's syntax, and about a tenth of
// the CPU a gRPC Pick costs chillybin with everything else it checks. The
// schema's own patterns are few and simple, and on ASCII text, which is what
// nearly every request carries, JavaScript's RegExp reads them exactly as RE2
// does once spelled for it: RE2's \s is [\t\n\f\r ] (JavaScript's also takes
// \v and Unicode spaces) and its . is anything but \n (JavaScript's also stops
// at \r, \u2028 and \u2029). So a pattern listed here is matched with its
// RegExp when the text is ASCII, and with RE2 otherwise, as is every pattern
// not listed (a new rule's pattern works unlisted, only slower). The two are
// held to each other by test/lib/server/interceptors/schema-patterns.test.ts,
// which also fails when proto/ gains a pattern that is not listed here.

/** Each schema pattern, as RE2 reads it, and the RegExp that matches ASCII text as RE2 matches it. */
export const ASCII_PATTERNS: ReadonlyMap<string, RegExp> = new Map([
  // ingredient names, customers: letters and digits, words joined by one space, apostrophe or hyphen
  ["^[\\p{L}\\p{N}]+([ '-][\\p{L}\\p{N}]+)*$", /^[\p{L}\p{N}]+(?:[ '-][\p{L}\p{N}]+)*$/u],
  // references: no space at either end
  ["^\\S(.*\\S)?$", /^[^\t\n\f\r ](?:[^\n]*[^\t\n\f\r ])?$/],
]);

/** Whether the text is ASCII only (control characters included): where the listed RegExps agree with RE2. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** RE2's compiled patterns, as protovalidate keeps them: a bounded cache (CEL rules could build patterns from input). */
const re2Cache = new Map<string, RE2JS>();
const RE2_CACHE_LIMIT = 1024;

/** RE2's answer, as protovalidate's default matcher (re2RegexMatch, which the package does not export) gives it. */
export function re2Match(pattern: string, against: string): boolean {
  let re = re2Cache.get(pattern);
  if (!re) {
    if (re2Cache.size >= RE2_CACHE_LIMIT) re2Cache.clear();
    re = RE2JS.compile(pattern);
    re2Cache.set(pattern, re);
  }
  return re.test(against);
}

/** protovalidate's regexMatch: a listed pattern on ASCII text by its RegExp, anything else by RE2. */
export function schemaPatternMatch(pattern: string, against: string): boolean {
  const ascii = ASCII_PATTERNS.get(pattern);
  return ascii && isAscii(against) ? ascii.test(against) : re2Match(pattern, against);
}
