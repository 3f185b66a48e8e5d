// The provider states jafflr's contract assumes, named once for both sides:
// the consumer tests say "given" them, chillybin's verification sets them up.
export const STATES = {
  /** These ingredients at these levels, and those named absent unknown (params: StockLevels). */
  stock: "the stock is",
  inStock: "an ingredient is in stock",
  outOfStock: "an ingredient is out of stock",
  unknown: "an ingredient is unknown",
} as const;

export interface StockLevels {
  levels: Record<string, number>;
  /** Ingredients chillybin must not know. */
  absent?: string[];
}

export interface StockParams {
  ingredient: string;
  quantity?: number;
}

/** Where the pact between jafflr and chillybin lives. */
export const PACT_FILE = "pacts/jafflr-chillybin.json";
export const CONSUMER = "jafflr";
export const PROVIDER = "chillybin";
