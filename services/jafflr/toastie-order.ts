import { Code, ConnectError } from "@connectrpc/connect";
import { Doneness, type MakeToastieRequest } from "../../gen/jafflr/v1/jafflr_pb.js";
import { COOKING_SECONDS } from "./kitchen.js";

/** Every toastie gets two slices of bread, added by the machine. */
export const BREAD = "bread";
export const SLICES_OF_BREAD = 2;
export const REQUIRED_INGREDIENT = "cheese";

/** A validated order: what to pick from chillybin, and how to cook it. */
export interface ToastieOrder {
  /** Ingredient → how many to pick, bread first. */
  picks: Map<string, number>;
  /** Everything in the toastie, bread included. */
  ingredients: string[];
  doneness: keyof typeof COOKING_SECONDS;
  customer: string;
}

/**
 * Validates a request completely before anything is picked, so an invalid
 * order takes nothing from stock (the original picked first and failed later).
 */
export function parseToastieOrder(req: MakeToastieRequest): ToastieOrder {
  // `i` is the deprecated alias REST clients fill (see jafflr.proto): read on purpose.
  const fillings = [...req.ingredients, ...req.i].map((name) => name.trim());
  if (fillings.length === 0) {
    throw new ConnectError("a toastie needs at least one ingredient", Code.InvalidArgument);
  }
  if (fillings.some((name) => name === "")) {
    throw new ConnectError("ingredient names must not be empty", Code.InvalidArgument);
  }
  if (!fillings.includes(REQUIRED_INGREDIENT)) {
    throw new ConnectError(`a toastie needs ${REQUIRED_INGREDIENT}`, Code.InvalidArgument);
  }
  const doneness = req.doneness === Doneness.UNSPECIFIED ? Doneness.LIGHT : req.doneness;
  if (!(doneness in COOKING_SECONDS)) {
    // Binary and JSON clients can send enum numbers this version does not know.
    throw new ConnectError(`doneness: unknown value ${req.doneness}`, Code.InvalidArgument);
  }
  const ingredients = [...Array<string>(SLICES_OF_BREAD).fill(BREAD), ...fillings];
  const picks = new Map<string, number>();
  for (const name of ingredients) picks.set(name, (picks.get(name) ?? 0) + 1);
  return { picks, ingredients, doneness: doneness as ToastieOrder["doneness"], customer: req.customer.trim() };
}

/**
 * What a toastie's chillybin order is for ("toastie, well done"): recorded
 * with the order, and covered by the toastie's Idempotency-Key with the
 * ingredients and customer, so the same key for another doneness is refused.
 */
export function toastieReference(order: Pick<ToastieOrder, "doneness">): string {
  return `toastie, ${Doneness[order.doneness]!.toLowerCase().replaceAll("_", " ")}`;
}
