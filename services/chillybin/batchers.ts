import type { Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";
import { OrderBatcher } from "./order-batcher.js";
import { PickBatcher } from "./pick-batcher.js";

/** What lets concurrent calls outside a transaction share statements. */
export interface Batchers {
  picks: PickBatcher;
  orders: OrderBatcher;
}

/** One of each batcher, shared by every call to a chillybin (and read by its metrics). */
export function createBatchers(db: Kysely<ChillybinDatabase>): Batchers {
  return { picks: new PickBatcher(db), orders: new OrderBatcher(db) };
}
