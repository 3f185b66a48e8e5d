import { sql, type Kysely } from "kysely";
import type { ChillybinDatabase } from "./database.js";
import { OutOfStockError, UnknownIngredientError } from "./stock-errors.js";

/** One item of an order: how many of which ingredient. */
export interface OrderLine {
  ingredient: string;
  quantity: number;
}

/** An order to take: every item or none. Each ingredient at most once. */
export interface OrderRequest {
  customer: string;
  items: ReadonlyArray<OrderLine>;
  /** What the order is for, kept with its rows ('' for none). */
  reference: string;
}

/** An order row as recorded: its id (int8, as a string, never rounded), its item, and what was left after it. */
export interface RecordedOrderRow extends OrderLine {
  id: string;
  remaining: number;
}

const byIngredient = (a: OrderLine, b: OrderLine) => (a.ingredient < b.ingredient ? -1 : a.ingredient > b.ingredient ? 1 : 0);

/**
 * Takes several orders in the caller's transaction, each all or nothing, as if
 * they had run one after another in the given order: an order is granted when
 * every item is there in full at its turn, and refused otherwise (the first
 * item short, in name order, says why), leaving the stock for later orders.
 * Answers each order's rows (in its items' order) or its refusal; an order
 * `decide` says no to once the rows are locked (its caller stopped waiting)
 * is neither: undefined, nothing taken for it.
 *
 * Two statements however many orders: the rows of every ingredient involved
 * are locked in name order (so concurrent callers cannot deadlock) and read;
 * then one statement sets the new levels and inserts every granted order row.
 */
export async function takeOrders(
  trx: Kysely<ChillybinDatabase>,
  orders: ReadonlyArray<OrderRequest>,
  decide: (index: number) => boolean = () => true,
): Promise<Array<RecordedOrderRow[] | Error | undefined>> {
  const names = [...new Set(orders.flatMap((o) => o.items.map((i) => i.ingredient)))].sort();
  const rows = names.length
    ? await trx.selectFrom("ingredients").select(["name", "quantity"]).where("name", "in", names).orderBy("name").forUpdate().execute()
    : [];
  const left = new Map(rows.map((r) => [r.name, r.quantity]));

  const outcomes: Array<RecordedOrderRow[] | Error | undefined> = [];
  const inserts: Array<{ customer: string; reference: string; row: RecordedOrderRow }> = [];
  for (const [index, order] of orders.entries()) {
    if (!decide(index)) {
      outcomes.push(undefined);
      continue;
    }
    const refusal = refusalOf(order, left);
    if (refusal) {
      outcomes.push(refusal);
      continue;
    }
    const recorded: RecordedOrderRow[] = [];
    for (const item of order.items) {
      const remaining = left.get(item.ingredient)! - item.quantity;
      left.set(item.ingredient, remaining);
      const row = { id: "", ingredient: item.ingredient, quantity: item.quantity, remaining };
      recorded.push(row);
      inserts.push({ customer: order.customer, reference: order.reference, row });
    }
    outcomes.push(recorded);
  }
  if (inserts.length === 0) return outcomes;

  const levels = [...left].filter(([name, quantity]) => rows.find((r) => r.name === name)!.quantity !== quantity);
  // The rows are inserted, and RETURNING answers them, in the order the
  // SELECT gives them (by ordinality): each id goes to its row.
  const { rows: ids } = await sql<{ id: string | number }>`
    with levels as (
      update ingredients set quantity = l.quantity
      from unnest(${levels.map(([name]) => name)}::text[], ${levels.map(([, q]) => q)}::int[]) as l(name, quantity)
      where ingredients.name = l.name
    )
    insert into orders (customer, ingredient, quantity, reference)
    select customer, ingredient, quantity, reference
    from unnest(${inserts.map((i) => i.customer)}::text[], ${inserts.map((i) => i.row.ingredient)}::text[], ${inserts.map((i) => i.row.quantity)}::int[], ${inserts.map((i) => i.reference)}::text[])
      with ordinality as o(customer, ingredient, quantity, reference, n)
    order by n
    returning id`.execute(trx);
  // pg answers int8 as a string, PGlite as a number.
  for (const [i, insert] of inserts.entries()) insert.row.id = String(ids[i]!.id);
  return outcomes;
}

/** Why an order cannot be taken from what is `left`: the first item short, in name order; undefined when it can. */
function refusalOf(order: OrderRequest, left: ReadonlyMap<string, number>): Error | undefined {
  for (const item of [...order.items].sort(byIngredient)) {
    const available = left.get(item.ingredient);
    if (available === undefined) return new UnknownIngredientError(item.ingredient, item.quantity);
    if (available < item.quantity) return new OutOfStockError(item.ingredient, item.quantity, available);
  }
  return undefined;
}
