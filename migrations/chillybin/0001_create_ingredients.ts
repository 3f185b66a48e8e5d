import { sql, type Kysely } from "kysely";

// Migrations are frozen history: they use their own literals, never the
// application's constants, so changing the code can never change the schema
// an old migration built.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("ingredients")
    .addColumn("name", "text", (col) => col.primaryKey())
    .addColumn("quantity", "integer", (col) => col.notNull())
    // The last line of defence against overselling: whatever the code does,
    // stock can never go below zero.
    .addCheckConstraint("ingredients_quantity_not_negative", sql`quantity >= 0`)
    .execute();
  await sql`insert into ingredients (name, quantity) values ('bread', 10), ('cheese', 10), ('vegemite', 10)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("ingredients").execute();
}
