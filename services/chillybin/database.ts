import type { ColumnType, Generated } from "kysely";
import { migrationsFolder } from "../../lib/migrations-folder.js";

// The tables chillybin queries, as built by migrations/chillybin.
export interface IngredientsTable {
  name: string;
  quantity: number;
}

export interface OrdersTable {
  /** bigserial: pg answers int8 as a string (never rounded), PGlite as a number. */
  id: ColumnType<string | number, never, never>;
  customer: string;
  ingredient: string;
  quantity: number;
  /** What the order is for, in the caller's words (PickOrder's reference); '' when none. */
  reference: Generated<string>;
  created_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  key: string;
  rpc: string;
  /** A hash of the request, so a key reused for a different request is refused. */
  fingerprint: string;
  /** The first answer, serialized; null until the call completes (in the same transaction). */
  response: Uint8Array | null;
  created_at: Generated<Date>;
}

export interface ChillybinDatabase {
  ingredients: IngredientsTable;
  orders: OrdersTable;
  idempotency_keys: IdempotencyKeysTable;
}

/** Where chillybin's migrations live: migrations/chillybin, in the repository or beside the bundle. */
export const CHILLYBIN_MIGRATIONS = migrationsFolder("chillybin", import.meta.url);
