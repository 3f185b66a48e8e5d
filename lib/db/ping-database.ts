import { sql, type Kysely } from "kysely";

/** Resolves when the database answers a trivial query; rejects with why it did not. */
export async function pingDatabase<DB>(db: Kysely<DB>): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    throw new Error(`database unreachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
