import type { ColumnType, Generated } from "kysely";

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
  created_at: Generated<Date>;
}

export interface ChillybinDatabase {
  ingredients: IngredientsTable;
  orders: OrdersTable;
}

/** Where chillybin's migrations live, relative to the repository root. */
export const CHILLYBIN_MIGRATIONS = new URL("../../migrations/chillybin", import.meta.url).pathname;
