// Load for fault tests: a closed loop of calls counted by outcome in phases
// (before, during and after a fault), and the check that stock and orders
// still agree afterwards.
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import type { ChillybinDatabase } from "../../services/chillybin/database.js";

/** Waits until `done()` holds, polling; fails naming `what` after `timeoutMs`. */
export async function until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** A closed-loop load of `call`s from `workers` clients, counting answers by code, in three phases. */
export class PhasedLoad {
  phase: "before" | "fault" | "after" = "before";
  readonly ok = { before: 0, fault: 0, after: 0 };
  readonly failures = new Map<Code, string[]>();
  private running = true;
  private readonly workers: Array<Promise<void>>;
  constructor(call: (n: number) => Promise<unknown>, workers = 6) {
    let n = 0;
    this.workers = Array.from({ length: workers }, async () => {
      while (this.running) {
        const at = this.phase;
        try {
          await call(n++);
          this.ok[at]++;
        } catch (error) {
          const e = ConnectError.from(error);
          this.failures.set(e.code, [...(this.failures.get(e.code) ?? []), `${at}: ${e.rawMessage}`]);
        }
      }
    });
  }
  count(code: Code): number {
    return this.failures.get(code)?.length ?? 0;
  }
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
  /**
   * Every failure was UNAVAILABLE (a call started just before the fault may
   * meet it, and one just after may meet an open circuit still: the phase
   * names when a call started).
   */
  assertOnlyUnavailable(): void {
    const others = [...this.failures].filter(([code]) => code !== Code.Unavailable).map(([code, m]) => `${Code[code]} ×${m.length}: ${m[0]}`);
    assert.deepEqual(others, [], "only UNAVAILABLE");
  }
}

/**
 * Orders must account for the stock exactly (every ingredient started at
 * `stock`), every answered order must be there, and each call's orders be all
 * there or all absent (`rowsPerCall` rows for a customer, one customer per call).
 */
export async function assertStockMatchesOrders(
  db: Kysely<ChillybinDatabase>,
  stock: number,
  answeredIds: string[],
  rowsPerCall: (customer: string) => number,
): Promise<void> {
  const orders = await db.selectFrom("orders").select(["id", "customer", "ingredient", "quantity"]).execute();
  const ids = new Set(orders.map((o) => String(o.id)));
  const lost = answeredIds.filter((id) => !ids.has(id));
  assert.deepEqual(lost.slice(0, 5), [], `${lost.length} answered orders are lost`);
  const byCustomer = new Map<string, number>();
  for (const o of orders) byCustomer.set(o.customer, (byCustomer.get(o.customer) ?? 0) + 1);
  const half = [...byCustomer].filter(([customer, rows]) => rows !== rowsPerCall(customer));
  assert.deepEqual(half.slice(0, 5), [], `${half.length} calls left part of their orders`);
  const levels = await db.selectFrom("ingredients").select(["name", "quantity"]).execute();
  for (const { name, quantity } of levels) {
    const taken = orders.filter((o) => o.ingredient === name).reduce((sum, o) => sum + o.quantity, 0);
    assert.equal(quantity, stock - taken, `${name}: stock ${quantity}, orders took ${taken} of ${stock}`);
  }
}
