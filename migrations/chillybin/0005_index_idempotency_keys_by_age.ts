import type { Kysely } from "kysely";

// Keys expire (IDEMPOTENCY_KEY_TTL): the pruner finds the oldest ones by
// created_at, a few hundred at a time, without reading the whole table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("idempotency_keys_created_at").on("idempotency_keys").column("created_at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("idempotency_keys_created_at").execute();
}
