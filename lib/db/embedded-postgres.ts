// What every embedded PostgreSQL (PGlite) here starts with, in the service's
// process and in the one that makes a new data folder (initialise-data-folder.ts).
import { PGlite } from "@electric-sql/pglite";

/**
 * PostgreSQL's buffer pool for the embedded database. PostgreSQL's default
 * (the 128 MB initdb writes into postgresql.conf) is sized for a server; in
 * PGlite that pool lives in the process's WebAssembly memory and is zeroed at
 * every open: 16 MB opens a data folder in about half the time (0.55 s rather
 * than 1.0–1.2 s on a 2-core machine) and leaves the service some 100 MB
 * smaller, while still holding many times the few pages these services touch.
 * Given as a start parameter, so it holds for data folders made before too.
 */
export const EMBEDDED_SHARED_BUFFERS = "16MB";

/** PGlite's start parameters, with the buffer pool above. */
export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, "-c", `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`];
}
