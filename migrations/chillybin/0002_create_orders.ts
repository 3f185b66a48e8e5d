import { sql, type Kysely } from "kysely";

// chillybin.v2 records every pick as an order (see proto/chillybin/v2).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("orders")
    .addColumn("id", "bigserial", (col) => col.primaryKey())
    .addColumn("customer", "text", (col) => col.notNull())
    .addColumn("ingredient", "text", (col) => col.notNull().references("ingredients.name"))
    .addColumn("quantity", "integer", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint("orders_quantity_positive", sql`quantity > 0`)
    .addCheckConstraint("orders_customer_not_empty", sql`customer <> ''`)
    .execute();
  await db.schema.createIndex("orders_customer_idx").on("orders").column("customer").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("orders").execute();
}
