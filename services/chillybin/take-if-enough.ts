import { sql, type Kysely } from "kysely";
import { lockWaitAtMost } from "../../lib/db/index.js";
import type { ChillybinDatabase } from "./database.js";

/**
 * Takes `quantity` of an ingredient if there is that much, answering what is
 * left, or undefined when nothing was taken (too little, or no such
 * ingredient). One conditional UPDATE does the check and the decrement, so
 * concurrent picks can never take more than there is. `lockWaitMs`: the
 * longest it waits for the row's lock (PostgreSQL's lock_timeout error past it).
 */
export async function takeIfEnough(db: Kysely<ChillybinDatabase>, name: string, quantity: number, lockWaitMs?: number): Promise<number | undefined> {
  let update = db
    .updateTable("ingredients")
    .set({ quantity: sql`quantity - ${quantity}` })
    .where("name", "=", name)
    .where("quantity", ">=", quantity);
  if (lockWaitMs !== undefined) update = update.where(lockWaitAtMost(lockWaitMs));
  const row = await update.returning("quantity").executeTakeFirst();
  return row?.quantity;
}
