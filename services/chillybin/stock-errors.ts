// Why stock could not be taken: the refusals chillybin answers with codes of
// their own (NOT_FOUND, FAILED_PRECONDITION) and a StockRefusal detail.

export class UnknownIngredientError extends Error {
  constructor(
    readonly ingredient: string,
    readonly wanted: number,
  ) {
    super(`unknown ingredient "${ingredient}"`);
  }
}

export class OutOfStockError extends Error {
  constructor(
    readonly ingredient: string,
    readonly wanted: number,
    readonly available: number,
  ) {
    super(`not enough ${ingredient}: wanted ${wanted}, ${available} in stock`);
  }
}
