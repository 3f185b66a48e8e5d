// The bench sets chillybin's gRPC Pick beside two servers of its own: Node's
// http2 with a fixed reply (null-grpc-server.ts, the runtime's ceiling) and
// the leanest real Pick (lean-pick-server.ts: the same batcher, statements
// and database, and nothing else). Both must be what a gRPC client calls a
// Pick, and the lean one must take the stock as chillybin does, or the
// bench's ratios compare unlike work.
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "../../../gen/chillybin/v1/chillybin_pb.js";
import { openDatabase } from "../../../lib/db/index.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../services/chillybin/database.js";
import { NODE_FLAGS } from "../../../scripts/delivery/services.js";
import { runProcess, type RunningProcess } from "../../../scripts/support/processes.js";
import { createScratchDatabase } from "../../../scripts/support/scratch-database.js";
import { grpcJsUnary } from "../../support/transports.js";

/** Runs one of the bench's servers as the bench does, and answers its address once it listens. */
async function startBenchServer(script: string, env: Record<string, string>): Promise<{ address: string; server: RunningProcess }> {
  const server = runProcess(process.execPath, [...NODE_FLAGS, "--import", "tsx", `scripts/bench/${script}`], { env });
  const port = (await server.waitForLine(/^listening \d+$/, 30_000)).split(" ")[1];
  return { address: `127.0.0.1:${port}`, server };
}

const pick = (address: string, quantity: number) =>
  grpcJsUnary(address, v1.ChillybinService, "Pick", v1.PickRequestSchema, v1.PickResponseSchema, create(v1.PickRequestSchema, { name: "cheese", quantity }));

describe("the bench's comparison servers (scripts/bench)", function () {
  this.timeout(60_000);

  it("null-grpc-server.ts answers @grpc/grpc-js's Pick with a PickResponse and grpc-status 0", async () => {
    const { address, server } = await startBenchServer("null-grpc-server.ts", {});
    try {
      const answer = await pick(address, 1);
      assert.equal(answer.name, "cheese");
    } finally {
      await server.stop("SIGTERM");
    }
  });

  it("lean-pick-server.ts takes the stock through chillybin's batcher and answers what is left", async () => {
    const database = await createScratchDatabase({ onDisk: true, migrations: CHILLYBIN_MIGRATIONS });
    try {
      await database.db.updateTable("ingredients").set({ quantity: 100 }).where("name", "=", "cheese").execute();
      await database.handOver();
      const { address, server } = await startBenchServer("lean-pick-server.ts", database.env);
      const quantities = [3, 2, 1];
      let answers: v1.PickResponse[];
      try {
        answers = await Promise.all(quantities.map((quantity) => pick(address, quantity)));
        // Too much: refused, as an HTTP 503 the load generator counts as an error (gRPC's UNAVAILABLE).
        await assert.rejects(pick(address, 1_000), (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE);
      } finally {
        await server.stop("SIGTERM");
      }
      // Each pick answers what it left, as if they had run one after another (largest remainder first).
      let left = 100;
      for (const [i, answer] of [...answers.entries()].sort(([, a], [, b]) => b.remaining - a.remaining)) {
        left -= quantities[i]!;
        assert.equal(answer.remaining, left, `the pick of ${quantities[i]}`);
      }
      const db = openDatabase<ChillybinDatabase>(database.location);
      try {
        const cheese = await db.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").executeTakeFirstOrThrow();
        assert.equal(Number(cheese.quantity), 94);
      } finally {
        await db.destroy();
      }
    } finally {
      await database.drop();
    }
  });
});
