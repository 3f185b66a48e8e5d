import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { copyOfEmbedded, migrateToLatest, openDatabase } from "../../lib/db/index.js";

// Scratch embedded databases start from a copy of one database migrated once:
// loading a copy takes a third of the time initdb and the migrations take, and
// a process's first initdb takes longer still (PGlite compiles its
// WebAssembly). The copies a process makes are kept for the processes it
// starts (a chillybin under verification, a CLI under test): they find them
// through the environment they inherit.

/** The folder of the copies the first process that made one keeps, for the processes it starts; removed when it exits. */
const COPIES_FOLDER_VARIABLE = "TOASTIES_SCRATCH_COPIES";

const copies = new Map<string | undefined, Promise<Blob>>();

/**
 * The copy's file: one per set of migrations, named by their contents (a
 * scratch clone of the repository finds the copy its own migrations make),
 * and one of a database without any.
 */
function copyFile(folder: string, migrations: string | undefined): string {
  if (migrations === undefined) return path.join(folder, "unmigrated.tar");
  const hash = createHash("sha256");
  for (const name of readdirSync(migrations).sort())
    hash
      .update(`${name}\0`)
      .update(readFileSync(path.join(migrations, name)))
      .update("\0");
  return path.join(folder, `${hash.digest("hex").slice(0, 16)}.tar`);
}

/** Keeps a copy where the processes this one starts will look, making the folder (and its removal at exit) if it is the first. */
function keepForChildren(migrations: string | undefined, bytes: Buffer): void {
  let folder = process.env[COPIES_FOLDER_VARIABLE];
  if (!folder) {
    const made = mkdtempSync(path.join(tmpdir(), "scratch-copies-"));
    process.once("exit", () => rmSync(made, { recursive: true, force: true }));
    process.env[COPIES_FOLDER_VARIABLE] = folder = made;
  }
  const file = copyFile(folder, migrations);
  if (existsSync(file)) return;
  // Whole or not at all: a process started meanwhile must not read half of it, and two
  // processes making the same copy at once each write their own before the rename.
  const partial = `${file}.${process.pid}.partial`;
  try {
    writeFileSync(partial, bytes);
    renameSync(partial, file);
  } catch {
    // Only a speed-up for the processes started from here (the folder may be gone with the
    // process that made it): they make their own copy instead.
    rmSync(partial, { force: true });
  }
}

async function makeCopy(migrations: string | undefined): Promise<Blob> {
  const folder = process.env[COPIES_FOLDER_VARIABLE];
  const inherited = folder && copyFile(folder, migrations);
  if (inherited && existsSync(inherited)) return new Blob([readFileSync(inherited)]);
  const db = openDatabase({ kind: "embedded" });
  try {
    if (migrations !== undefined) await migrateToLatest(db, migrations);
    const copy = await copyOfEmbedded(db);
    keepForChildren(migrations, Buffer.from(await copy.arrayBuffer()));
    return copy;
  } finally {
    await db.destroy();
  }
}

/** A copy of an embedded database that has had the migrations in `migrations` (or none), to start scratch databases from. */
export function migratedEmbeddedCopy(migrations: string | undefined): Promise<Blob> {
  let copy = copies.get(migrations);
  if (!copy) {
    copy = makeCopy(migrations);
    copies.set(migrations, copy);
    copy.catch(() => copies.delete(migrations)); // the next caller tries again
  }
  return copy;
}
