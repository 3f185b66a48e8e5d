// The tables chillybin queries, as built by migrations/chillybin.
export interface IngredientsTable {
  name: string;
  quantity: number;
}

export interface ChillybinDatabase {
  ingredients: IngredientsTable;
}

/** Where chillybin's migrations live, relative to the repository root. */
export const CHILLYBIN_MIGRATIONS = new URL("../../migrations/chillybin", import.meta.url).pathname;
