/** The header a client sets so that a retry of the same call happens once (chillybin keeps the first answer). */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** The longest Idempotency-Key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Why an Idempotency-Key is refused, or undefined when it is fine (absent, or 1 to 200 characters). */
export function idempotencyKeyProblem(key: string | null): string | undefined {
  if (key === null || (key.length > 0 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH)) return undefined;
  return `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
}
