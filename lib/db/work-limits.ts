import { sql, type Kysely } from "kysely";

// How long database work may wait: a call's deadline reaches the database as
// PostgreSQL's own lock_timeout and statement_timeout, set with set_config(…,
// true) so that they last only for the transaction they are set in (safe
// behind a transaction-pooling PgBouncer, where the next transaction on the
// same server connection belongs to someone else).

/** What PostgreSQL says when lock_timeout or statement_timeout ended a statement (55P03, 57014). */
const TIMEOUT_CODES = new Set(["55P03", "57014"]);

/** Whether PostgreSQL gave up on a statement because of the limits set here (it waited too long for a lock, or ran too long). */
export function isDatabaseTimeout(error: unknown): boolean {
  return typeof error === "object" && error !== null && TIMEOUT_CODES.has(String((error as { code?: unknown }).code));
}

/** A limit as PostgreSQL takes it: whole milliseconds, at least 1 (0 would mean none). */
function asSetting(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}ms`;
}

/** Bounds the rest of the transaction `trx`: no lock wait and no statement may take longer than `ms`. */
export async function limitTransaction<DB>(trx: Kysely<DB>, ms: number): Promise<void> {
  const limit = asSetting(ms);
  await sql`select set_config('lock_timeout', ${limit}, true), set_config('statement_timeout', ${limit}, true)`.execute(trx);
}

/**
 * Runs `work` in a transaction of its own, in which no lock wait and no
 * statement may go past `until` (epoch ms: a call's deadline), counted once
 * the transaction has begun, so that a wait for a pool connection comes off
 * it; or in the transaction `db` already is, whose own limits bound it.
 */
export function inLimitedTransaction<DB, T>(db: Kysely<DB>, until: number, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().execute(async (trx) => {
    await limitTransaction(trx, until - Date.now());
    return work(trx);
  });
}

/**
 * A condition that is always true and, evaluated, bounds this statement's lock
 * waits to `ms`: for one statement run on its own (its own implicit
 * transaction), where a separate set_config would be a transaction of its own.
 * PostgreSQL reads lock_timeout when it starts waiting for a row, after the
 * statement's conditions have been evaluated for it.
 */
export function lockWaitAtMost(ms: number) {
  return sql<boolean>`set_config('lock_timeout', ${asSetting(ms)}, true) is not null`;
}

/** How long one call's database work may take, and whether its caller still waits for it. */
export interface WorkDeadline {
  /** When the work must be done (epoch ms): the caller's deadline, or the server's ceiling when it gave none or a later one. */
  at: number;
  /** Whether `at` is the caller's own deadline (running out of it is the caller's DEADLINE_EXCEEDED), not the ceiling. */
  callers: boolean;
  /** Aborted when the caller stops waiting (it cancelled, its deadline passed, the server gave up draining). */
  signal: AbortSignal;
}

/** A call's deadline for its database work: `timeoutMs` left of the caller's (if it gave one), never more than `ceilingMs`. */
export function workDeadline(signal: AbortSignal, timeoutMs: number | undefined, ceilingMs: number, now = Date.now()): WorkDeadline {
  const callers = timeoutMs !== undefined && timeoutMs <= ceilingMs;
  return { at: now + (callers ? timeoutMs : ceilingMs), callers, signal };
}

/** Whether the caller still waits for this work: not gone, and its deadline not passed. */
export function stillWaiting(deadline: WorkDeadline, now = Date.now()): boolean {
  return !deadline.signal.aborted && now < deadline.at;
}
