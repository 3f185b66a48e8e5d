// OrderBatcher: concurrent orders share one transaction of three statements,
// and each is still all or nothing with the answer it would have got alone,
// in arrival order.
import assert from "node:assert/strict";
import { noHurry } from "../../support/deadlines.js";
import { setTimeout as sleep } from "node:timers/promises";
import type { Kysely, KyselyPlugin } from "kysely";
import pg from "pg";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { OrderBatcher } from "../../../services/chillybin/order-batcher.js";
import type { OrderRequest, RecordedOrderRow } from "../../../services/chillybin/take-orders.js";
import { createScratchDatabase, type ScratchDatabase, usingPostgresServer } from "../../../scripts/support/scratch-database.js";

/** Counts the statements sent through it (BEGIN and COMMIT are not statements here). */
function countingStatements(): KyselyPlugin & { statements: number } {
  return {
    statements: 0,
    transformQuery(args) {
      this.statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

const toastie = (customer: string, filling = "cheese", reference = "toastie, light"): OrderRequest => ({
  customer,
  items: [
    { ingredient: "bread", quantity: 2 },
    { ingredient: filling, quantity: 1 },
  ],
  reference,
});

describe("OrderBatcher", () => {
  let database: ScratchDatabase;
  let db: Kysely<ChillybinDatabase>;
  before(async () => {
    database = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
    db = database.db as Kysely<ChillybinDatabase>;
  });
  after(() => database?.drop());
  beforeEach(() => db.deleteFrom("orders").execute());
  /** Sets every ingredient: those not named to 10. */
  const setStock = async (levels: Record<string, number>) => {
    for (const [name, quantity] of Object.entries({ bread: 10, cheese: 10, vegemite: 10, ...levels }))
      await db.updateTable("ingredients").set({ quantity }).where("name", "=", name).execute();
  };
  const stock = async () => Object.fromEntries((await db.selectFrom("ingredients").select(["name", "quantity"]).execute()).map((r) => [r.name, r.quantity]));
  const orderRows = () => db.selectFrom("orders").select(["id", "customer", "ingredient", "quantity", "reference"]).orderBy("id").execute();
  const settle = (orders: Array<Promise<RecordedOrderRow[]>>) =>
    Promise.all(
      orders.map((p) =>
        p.then(
          (rows) => rows,
          (error: Error) => error,
        ),
      ),
    );

  it("a lone order goes at once, in three statements (its time limits, the rows locked and read, the write), and answers its rows in its items' order", async () => {
    await setStock({ bread: 10, cheese: 10, vegemite: 10 });
    const counter = countingStatements();
    const batcher = new OrderBatcher(db.withPlugin(counter));
    const rows = await batcher.take(
      {
        customer: "gita",
        items: [
          { ingredient: "vegemite", quantity: 1 },
          { ingredient: "bread", quantity: 2 },
        ],
        reference: "toastie, burnt",
      },
      noHurry(),
    );
    assert.equal(counter.statements, 3);
    const recorded = await orderRows();
    assert.deepEqual(
      rows,
      ["vegemite", "bread"].map((ingredient) => {
        const row = recorded.find((r) => r.ingredient === ingredient)!;
        return { id: String(row.id), ingredient, quantity: row.quantity, remaining: ingredient === "bread" ? 8 : 9 };
      }),
    );
    assert.deepEqual(
      recorded.map((r) => [r.customer, r.reference]),
      [
        ["gita", "toastie, burnt"],
        ["gita", "toastie, burnt"],
      ],
    );
    assert.deepEqual(await stock(), { bread: 8, cheese: 10, vegemite: 9 });
  });

  it("orders arriving while two batches are in flight share the next transaction: 100 toasties, three transactions, nine statements", async () => {
    await setStock({ bread: 1_000, cheese: 1_000 });
    const counter = countingStatements();
    const batcher = new OrderBatcher(db.withPlugin(counter));
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => batcher.take(toastie(`c${i}`), noHurry())));
    // The first two went alone, one after the other on bread's lock; the 98 that queued behind them went together.
    assert.equal(counter.statements, 9);
    assert.deepEqual(batcher.totals, { batches: 3, orders: 100 });
    // Each as if the orders had run one after another: together, exactly the serial sequence;
    // within the shared batch, in arrival order (the batches in whichever order the database
    // locked them).
    const remaining = answers.map((rows) => rows.map((r) => r.remaining));
    const serial = Array.from({ length: 100 }, (_, i) => [1_000 - 2 * (i + 1), 1_000 - (i + 1)]);
    assert.deepEqual(
      [...remaining].sort((a, b) => b[0]! - a[0]!),
      serial,
    );
    const shared = remaining.slice(2).map(([bread]) => bread!);
    assert.deepEqual(
      shared,
      shared.map((_, i) => shared[0]! - 2 * i),
      "the shared batch in arrival order",
    );
    const recorded = await orderRows();
    assert.equal(recorded.length, 200);
    for (const [i, rows] of answers.entries()) {
      for (const row of rows) {
        const stored = recorded.find((r) => String(r.id) === row.id)!;
        assert.deepEqual([stored.customer, stored.ingredient, stored.quantity], [`c${i}`, row.ingredient, row.quantity], "each id is its own row");
      }
    }
    assert.deepEqual(await stock(), { bread: 800, cheese: 900, vegemite: 10 });
  });

  const shortages: Array<{
    case: string;
    stock: Record<string, number>;
    orders: OrderRequest[];
    answers: Array<string | number>;
    left: Record<string, number>;
  }> = [
    {
      case: "too little bread for all: granted in arrival order while it lasts, a refused order takes nothing",
      stock: { bread: 5, cheese: 10, vegemite: 10 },
      orders: [toastie("a"), toastie("b"), toastie("c")],
      answers: [2, 2, "not enough bread: wanted 2, 1 in stock"],
      left: { bread: 1, cheese: 8, vegemite: 10 },
    },
    {
      case: "a refused order leaves its other items for later orders",
      stock: { bread: 10, cheese: 1, vegemite: 10 },
      orders: [toastie("a"), toastie("b"), toastie("c", "vegemite")],
      answers: [2, "not enough cheese: wanted 1, 0 in stock", 2],
      left: { bread: 6, cheese: 0, vegemite: 9 },
    },
    {
      case: "an unknown ingredient refuses that order only, naming it",
      stock: { bread: 10, cheese: 10, vegemite: 10 },
      orders: [toastie("a", "ham"), toastie("b")],
      answers: ['unknown ingredient "ham"', 2],
      left: { bread: 8, cheese: 9, vegemite: 10 },
    },
    {
      case: "the first item short in name order says why",
      stock: { bread: 0, cheese: 0, vegemite: 10 },
      orders: [toastie("a")],
      answers: ["not enough bread: wanted 2, 0 in stock"],
      left: { bread: 0, cheese: 0, vegemite: 10 },
    },
  ];
  for (const c of shortages) {
    it(c.case, async () => {
      await setStock(c.stock);
      // One batch at a time: with two in flight, the database decides which batch locks the rows
      // first, and the expected answers are those of arrival order (it failed 2 runs in 13 on the server).
      const batcher = new OrderBatcher(db, 1);
      const outcomes = await settle(c.orders.map((o) => batcher.take(o, noHurry())));
      assert.deepEqual(
        outcomes.map((o) => (o instanceof Error ? o.message : o.length)),
        c.answers,
      );
      assert.deepEqual(await stock(), c.left);
      assert.equal((await orderRows()).length, outcomes.filter((o) => !(o instanceof Error)).length * 2, "rows only for granted orders");
    });
  }

  it("never oversells: 300 concurrent toasties, bread for 100, exactly 100 granted", async () => {
    await setStock({ bread: 200, cheese: 1_000 });
    const batcher = new OrderBatcher(db);
    const outcomes = await settle(Array.from({ length: 300 }, (_, i) => batcher.take(toastie(`c${i}`), noHurry())));
    assert.equal(outcomes.filter((o) => !(o instanceof Error)).length, 100);
    assert.deepEqual(await stock(), { bread: 0, cheese: 900, vegemite: 10 });
    assert.equal((await orderRows()).length, 200);
  });

  it("a failing database fails every order of the batch, takes nothing, and the next batch tries again", async () => {
    await setStock({});
    // One batch at a time: the first order goes alone; the two behind it share the second batch, whose write fails.
    // Each batch sends two raw statements: its time limits (set_config), then its write.
    let raw = 0;
    const failing: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === "RawNode" && ++raw === 4) throw new Error("connection terminated");
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const batcher = new OrderBatcher(db.withPlugin(failing), 1);
    const outcomes = await settle([batcher.take(toastie("alone"), noHurry()), batcher.take(toastie("a"), noHurry()), batcher.take(toastie("b"), noHurry())]);
    assert.ok(Array.isArray(outcomes[0]));
    for (const o of outcomes.slice(1)) assert.match(String(o), /connection terminated/);
    assert.deepEqual(await stock(), { bread: 8, cheese: 9, vegemite: 10 }, "only the first order's");
    assert.equal((await orderRows()).length, 2);
    assert.equal((await batcher.take(toastie("c"), noHurry()))[0]!.remaining, 6);
  });

  // Rows are locked in name order, so any other transaction that locks them in name order too (a
  // Restock, an older chillybin during a rollout, an operator's script) waits instead of deadlocking.
  // A second connection holds bread, the order's first row by name; it then takes cheese. In name
  // order, the waiting batch holds nothing yet and cheese is free; in any other order the batch would
  // hold cheese while waiting for bread, and the two would deadlock.
  if (usingPostgresServer)
    it("locks the rows in name order: a second locker in name order never deadlocks with a batch", async () => {
      await setStock({});
      const holder = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await holder.connect();
      try {
        await holder.query("begin");
        await holder.query("select * from ingredients where name = 'bread' for update");
        const order = new OrderBatcher(db).take(
          {
            customer: "gita",
            items: [
              { ingredient: "vegemite", quantity: 1 },
              { ingredient: "cheese", quantity: 1 },
              { ingredient: "bread", quantity: 2 },
            ],
            reference: "",
          },
          noHurry(),
        );
        await sleep(200); // the batch is waiting on bread's lock
        await holder.query("set local lock_timeout = '2s'");
        await holder.query("select * from ingredients where name = 'cheese' for update"); // free: the batch holds nothing yet
        await holder.query("commit");
        assert.equal((await order).length, 3);
        assert.deepEqual(await stock(), { bread: 8, cheese: 9, vegemite: 9 });
      } finally {
        await holder.end();
      }
    });
});
