import { sql, type Kysely } from "kysely";

// jafflr's feature flags, when they live in a database (FLAGS_DATABASE_URL):
// one row per flag, each a flagd flag definition (see config/flags.json).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("feature_flags")
    .addColumn("key", "text", (col) => col.primaryKey())
    .addColumn("definition", "jsonb", (col) => col.notNull())
    .addColumn("updated_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("feature_flags").execute();
}
