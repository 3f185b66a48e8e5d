import { Doneness, type MakeToastieRequest } from "../../gen/jafflr/v1/jafflr_pb.js";
import type { COOKING_SECONDS } from "./kitchen.js";

/** Every toastie gets two slices of bread, added by the machine. */
export const BREAD = "bread";
export const SLICES_OF_BREAD = 2;

/** An order: what to pick from chillybin, and how to cook it. */
export interface ToastieOrder {
  /** Ingredient → how many to pick, bread first. */
  picks: Map<string, number>;
  /** Everything in the toastie, bread included. */
  ingredients: string[];
  doneness: keyof typeof COOKING_SECONDS;
  customer: string;
}

/**
 * The order a request asks for. The request has passed jafflr.proto's rules
 * (lib/server/interceptors/schema-rules.ts runs them before the handler): fillings named
 * properly, cheese among them, a doneness this version knows. So the whole
 * order is known valid before anything is picked, and an invalid one takes
 * nothing from stock (the original picked first and failed later).
 */
export function toastieOrderOf(req: MakeToastieRequest): ToastieOrder {
  // `i` is the deprecated alias REST clients fill (see jafflr.proto): read on purpose.
  const fillings = [...req.ingredients, ...req.i];
  const doneness = (req.doneness === Doneness.UNSPECIFIED ? Doneness.LIGHT : req.doneness) as ToastieOrder["doneness"];
  const ingredients = [...Array<string>(SLICES_OF_BREAD).fill(BREAD), ...fillings];
  const picks = new Map<string, number>();
  for (const name of ingredients) picks.set(name, (picks.get(name) ?? 0) + 1);
  return { picks, ingredients, doneness, customer: req.customer.trim() };
}

/**
 * What a toastie's chillybin order is for ("toastie, well done"): recorded
 * with the order, and covered by the toastie's Idempotency-Key with the
 * ingredients and customer, so the same key for another doneness is refused.
 */
export function toastieReference(order: Pick<ToastieOrder, "doneness">): string {
  return `toastie, ${Doneness[order.doneness]!.toLowerCase().replaceAll("_", " ")}`;
}
