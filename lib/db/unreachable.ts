/** Socket errors that mean the database server cannot be reached right now. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND"]);

/**
 * True when an error says the database is out of reach (as opposed to a
 * query it refused): a network failure, a connection lost mid-query, or
 * PostgreSQL's own connection-exception and shutdown classes (08xxx, 57P0x).
 * Callers answer UNAVAILABLE for these, a code clients may retry.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (NETWORK_CODES.has(code) || code.startsWith("08") || /^57P0[1-3]$/.test(code))) return true;
    if (/Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/.test(e.message)) return true;
  }
  return false;
}

/**
 * A start-up failure on the database, naming it (`where`: "PostgreSQL at …
 * (DATABASE_URL)"), so that an operator sees which setting to check, and
 * saying so when it could not be reached at all.
 */
export function databaseStartupError(error: unknown, where: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(isDatabaseUnreachable(error) ? `the database, ${where}, cannot be reached: ${message}` : `the database, ${where}: ${message}`, {
    cause: error,
  });
}
