import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import {
  ChillybinService,
  GetStockResponseSchema,
  PickResponseSchema,
  RestockResponseSchema,
} from "../../gen/chillybin/v1/chillybin_pb.js";
import { OutOfStockError, UnknownIngredientError, type Stock } from "./stock.js";

/** The one place chillybin's domain errors become Connect codes. */
export function toConnectError(error: unknown): unknown {
  if (error instanceof UnknownIngredientError) return new ConnectError(error.message, Code.NotFound);
  if (error instanceof OutOfStockError) return new ConnectError(error.message, Code.FailedPrecondition);
  return error;
}

/** Checks a pick before it reaches the database, so a bad one changes nothing. */
export function validatePick(name: string, quantity: number): void {
  if (name.trim() === "") throw new ConnectError("name must not be empty", Code.InvalidArgument);
  if (!Number.isInteger(quantity) || quantity < 1) {
    throw new ConnectError(`quantity must be a whole number of at least 1, got ${quantity}`, Code.InvalidArgument);
  }
}

export function chillybinServiceImpl(stock: Stock): ServiceImpl<typeof ChillybinService> {
  return {
    async pick(req) {
      validatePick(req.ingredient, req.quantity);
      try {
        const remaining = await stock.pick(req.ingredient, req.quantity);
        return create(PickResponseSchema, { name: req.ingredient, quantity: req.quantity, remaining });
      } catch (error) {
        throw toConnectError(error);
      }
    },
    async getStock() {
      return create(GetStockResponseSchema, { stock: await stock.levels() });
    },
    async restock() {
      return create(RestockResponseSchema, { stock: await stock.restock() });
    },
  };
}

/** Registers chillybin's services on a Connect router. */
export function chillybinRoutes(stock: Stock): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ChillybinService, chillybinServiceImpl(stock));
  };
}
