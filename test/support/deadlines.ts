import { workDeadline, type WorkDeadline } from "../../lib/db/index.js";

/** A deadline for database work that a test will not reach: a caller who waits (a minute), made when called. */
export function noHurry(): WorkDeadline {
  return workDeadline(new AbortController().signal, undefined, 60_000);
}
