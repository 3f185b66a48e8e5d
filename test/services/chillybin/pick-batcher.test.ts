// PickBatcher: concurrent picks of one ingredient share statements, and each
// still gets the answer it would have got running alone, in arrival order.
import assert from "node:assert/strict";
import { noHurry } from "../../support/deadlines.js";
import type { Kysely, KyselyPlugin } from "kysely";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { PickBatcher } from "../../../services/chillybin/pick-batcher.js";
import { OutOfStockError, UnknownIngredientError } from "../../../services/chillybin/stock.js";
import { createScratchDatabase, type ScratchDatabase } from "../../../scripts/support/scratch-database.js";

/** Counts the UPDATE statements sent through it. */
function countingUpdates(): KyselyPlugin & { updates: number } {
  return {
    updates: 0,
    transformQuery(args) {
      if (args.node.kind === "UpdateQueryNode") this.updates++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

describe("PickBatcher", () => {
  let database: ScratchDatabase;
  let db: Kysely<ChillybinDatabase>;
  before(async () => {
    database = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
    db = database.db as Kysely<ChillybinDatabase>;
  });
  after(() => database?.drop());
  const setStock = (name: string, quantity: number) => db.updateTable("ingredients").set({ quantity }).where("name", "=", name).execute();
  const stockOf = async (name: string) => (await db.selectFrom("ingredients").select("quantity").where("name", "=", name).executeTakeFirstOrThrow()).quantity;
  const settle = (picks: Array<Promise<number>>) =>
    Promise.all(
      picks.map((p) =>
        p.then(
          (remaining) => remaining,
          (error: Error) => error,
        ),
      ),
    );

  it("a lone pick goes at once, in one statement, and answers what is left", async () => {
    await setStock("cheese", 10);
    const counter = countingUpdates();
    const batcher = new PickBatcher(db.withPlugin(counter));
    assert.equal(await batcher.pick("cheese", 3, noHurry()), 7);
    assert.equal(counter.updates, 1);
    assert.equal(await stockOf("cheese"), 7);
  });

  it("picks arriving while one is in flight share the next statement", async () => {
    await setStock("cheese", 1_000);
    const counter = countingUpdates();
    const batcher = new PickBatcher(db.withPlugin(counter));
    const remaining = await Promise.all(Array.from({ length: 100 }, () => batcher.pick("cheese", 2, noHurry())));
    // The first went alone; the 99 that queued behind it went together.
    assert.equal(counter.updates, 2);
    assert.deepEqual(
      remaining,
      Array.from({ length: 100 }, (_, i) => 1_000 - 2 * (i + 1)),
    );
    assert.equal(await stockOf("cheese"), 800);
  });

  const shortages: Array<{ case: string; stock: number; picks: number[]; answers: Array<number | string>; left: number }> = [
    {
      case: "the batch wants more than there is: granted in arrival order while it lasts",
      stock: 5,
      picks: [3, 4, 2],
      answers: [2, "not enough cheese: wanted 4, 2 in stock", 0],
      left: 0,
    },
    {
      case: "a later, smaller pick still fits after a refusal",
      stock: 4,
      picks: [1, 5, 2, 1],
      answers: [3, "not enough cheese: wanted 5, 3 in stock", 1, 0],
      left: 0,
    },
    {
      case: "nothing left: every pick refused, nothing changes",
      stock: 0,
      picks: [1, 1, 1],
      answers: ["not enough cheese: wanted 1, 0 in stock", "not enough cheese: wanted 1, 0 in stock", "not enough cheese: wanted 1, 0 in stock"],
      left: 0,
    },
  ];
  for (const c of shortages) {
    it(c.case, async () => {
      await setStock("cheese", c.stock);
      const batcher = new PickBatcher(db);
      const outcomes = await settle(c.picks.map((q) => batcher.pick("cheese", q, noHurry())));
      assert.deepEqual(
        outcomes.map((o) => (o instanceof OutOfStockError ? o.message : o)),
        c.answers,
      );
      assert.equal(await stockOf("cheese"), c.left);
    });
  }

  it("never oversells: 300 concurrent picks of 200 in stock, exactly 200 granted", async () => {
    await setStock("cheese", 200);
    const batcher = new PickBatcher(db);
    const outcomes = await settle(Array.from({ length: 300 }, () => batcher.pick("cheese", 1, noHurry())));
    const granted = outcomes.filter((o): o is number => typeof o === "number");
    assert.equal(granted.length, 200);
    assert.deepEqual(
      [...granted].sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.ok(outcomes.filter((o) => !(typeof o === "number")).every((o) => o instanceof OutOfStockError));
    assert.equal(await stockOf("cheese"), 0);
  });

  it("an unknown ingredient refuses every pick of it; other ingredients are unaffected", async () => {
    await setStock("bread", 10);
    const batcher = new PickBatcher(db);
    const outcomes = await settle([
      batcher.pick("ham", 1, noHurry()),
      batcher.pick("bread", 1, noHurry()),
      batcher.pick("ham", 2, noHurry()),
      batcher.pick("bread", 2, noHurry()),
    ]);
    assert.ok(outcomes[0] instanceof UnknownIngredientError && outcomes[2] instanceof UnknownIngredientError);
    assert.deepEqual([outcomes[1], outcomes[3]], [9, 7]);
  });

  it("a failing database fails every pick of the batch, and the next batch tries again", async () => {
    await setStock("vegemite", 10);
    let failNext = true;
    const failing: KyselyPlugin = {
      transformQuery(args) {
        if (failNext && args.node.kind === "UpdateQueryNode") {
          failNext = false;
          throw new Error("connection terminated");
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const batcher = new PickBatcher(db.withPlugin(failing));
    const outcomes = await settle([batcher.pick("vegemite", 1, noHurry())]);
    assert.match(String(outcomes[0]), /connection terminated/);
    assert.equal(await batcher.pick("vegemite", 1, noHurry()), 9);
  });
});
