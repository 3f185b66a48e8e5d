import { sql, type Kysely } from "kysely";

// PickOrder's `reference` (what the order is for, in the caller's words) is
// kept with each of its rows. Added with a default, so a chillybin that does
// not know the column yet keeps writing orders while this one rolls out.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("orders")
    .addColumn("reference", "text", (col) => col.notNull().defaultTo(""))
    .execute();
  await db.schema.alterTable("orders").addCheckConstraint("orders_reference_length", sql`char_length(reference) <= 200`).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("orders").dropColumn("reference").execute();
}
