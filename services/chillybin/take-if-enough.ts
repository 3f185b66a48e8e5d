import { sql, type Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";

/**
 * Takes `quantity` of an ingredient if there is that much, answering what is
 * left, or undefined when nothing was taken (too little, or no such
 * ingredient). One conditional UPDATE does the check and the decrement, so
 * concurrent picks can never take more than there is.
 */
export async function takeIfEnough(db: Kysely<ChillybinDatabase>, name: string, quantity: number): Promise<number | undefined> {
  const row = await db
    .updateTable("ingredients")
    .set({ quantity: sql`quantity - ${quantity}` })
    .where("name", "=", name)
    .where("quantity", ">=", quantity)
    .returning("quantity")
    .executeTakeFirst();
  return row?.quantity;
}
