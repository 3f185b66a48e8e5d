import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { OutOfStockError, UnknownIngredientError, type Stock } from "./stock.js";

/** The one place chillybin's domain errors become Connect codes. */
export function toConnectError(error: unknown): unknown {
  if (error instanceof UnknownIngredientError) return new ConnectError(error.message, Code.NotFound);
  if (error instanceof OutOfStockError) return new ConnectError(error.message, Code.FailedPrecondition);
  return error;
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/** Checks a pick before it reaches the database, so a bad one changes nothing. */
export function validatePick(ingredient: string, quantity: number, fieldName = "ingredient"): void {
  if (ingredient.trim() === "") throw invalid(`${fieldName} must not be empty`);
  if (!Number.isInteger(quantity) || quantity < 1) throw invalid(`quantity must be a whole number of at least 1, got ${quantity}`);
}

async function domain<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toConnectError(error);
  }
}

export function chillybinV1Impl(stock: Stock): ServiceImpl<typeof v1.ChillybinService> {
  return {
    async pick(req) {
      // v1's JSON and REST name for the ingredient is still "name".
      validatePick(req.ingredient, req.quantity, "name");
      const remaining = await domain(() => stock.pick(req.ingredient, req.quantity));
      return create(v1.PickResponseSchema, { name: req.ingredient, remaining });
    },
    async getStock() {
      return create(v1.GetStockResponseSchema, { stock: await stock.levels() });
    },
    async restock() {
      return create(v1.RestockResponseSchema, { stock: await stock.restock() });
    },
  };
}

export function chillybinV2Impl(stock: Stock): ServiceImpl<typeof v2.ChillybinService> {
  return {
    async pick(req) {
      validatePick(req.ingredient, req.quantity);
      if (req.customer.trim() === "") throw invalid("customer must not be empty");
      const { orderId, remaining } = await domain(() => stock.pickForOrder(req.customer, req.ingredient, req.quantity));
      return create(v2.PickResponseSchema, { id: BigInt(orderId), remaining });
    },
    async pickOrder(req) {
      if (req.customer.trim() === "") throw invalid("customer must not be empty");
      if (req.items.length === 0) throw invalid("an order needs at least one item");
      const seen = new Set<string>();
      for (const [i, item] of req.items.entries()) {
        validatePick(item.ingredient, item.quantity, `items[${i}].ingredient`);
        if (seen.has(item.ingredient)) throw invalid(`${item.ingredient} is listed twice: give each ingredient once, with its quantity`);
        seen.add(item.ingredient);
      }
      const ids = await domain(() => stock.pickOrder(req.customer, req.items));
      return create(v2.PickOrderResponseSchema, { ids: ids.map((id) => BigInt(id)) });
    },
  };
}

/** Registers chillybin's services, every version, on a Connect router. */
export function chillybinRoutes(stock: Stock): (router: ConnectRouter) => void {
  return (router) => {
    router.service(v1.ChillybinService, chillybinV1Impl(stock));
    router.service(v2.ChillybinService, chillybinV2Impl(stock));
  };
}
