import { createHash } from "node:crypto";
import { fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql, type Kysely } from "kysely";
import { inLimitedTransaction, stillWaiting, type WorkDeadline } from "../../lib/db/index.js";
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyProblem } from "../../lib/idempotency-key.js";
import type { ChillybinDatabase } from "./database.js";
import { Orders } from "./orders.js";
import { Stock } from "./stock.js";
import { asCallerSees, stoppedWaiting } from "./waiting-callers.js";

/** What a call's work takes stock and records orders with. */
export interface Store {
  stock: Stock;
  orders: Orders;
}

/**
 * What a key is unique within, as stored with it: the method's package and
 * name ("chillybin.v1.Pick"), the form keys have been stored in since the
 * first release, so keys stored before a deploy still match after it.
 */
export function keyScope(method: DescMethodUnary): string {
  return `${method.parent.file.proto.package}.${method.name}`;
}

/**
 * Makes a call with an Idempotency-Key happen once. The key is claimed, the
 * work done and its answer stored in one transaction, so a retry (even one
 * racing the first attempt: it waits on the key's row) gets the first answer
 * and takes nothing; a refused call stores nothing, and its retry runs again.
 * The transaction waits for locks, and runs each statement, no longer than
 * the call's deadline. A key is kept `ttlMs` (IDEMPOTENCY_KEY_TTL): a retry
 * after that is a new call, and the pruner (key-pruner.ts) deletes it.
 */
export class IdempotentCalls {
  /** `shared`: what calls without a key use (the service's own, so their work can be batched). */
  constructor(
    private readonly db: Kysely<ChillybinDatabase>,
    private readonly shared: Store,
    private readonly ttlMs: number,
  ) {}

  /** Runs `work` for a call of `method`, once per Idempotency-Key (every time without one). */
  async once<I extends DescMessage, O extends DescMessage>(
    key: string | null,
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    deadline: WorkDeadline,
    work: (store: Store) => Promise<MessageShape<O>>,
  ): Promise<MessageShape<O>> {
    if (key === null) return work(this.shared);
    const problem = idempotencyKeyProblem(key);
    if (problem) throw new ConnectError(problem, Code.InvalidArgument);
    const rpc = keyScope(method);
    const output = method.output;
    const fingerprint = createHash("sha256").update(toBinary(method.input, request)).digest("hex");
    const run = inLimitedTransaction(this.db, deadline.at, async (trx) => {
      // Claimed when new, or when the key is there but expired (not pruned yet): then it is this call's.
      const claimed = await trx
        .insertInto("idempotency_keys")
        .values({ key, rpc, fingerprint })
        .onConflict((oc) =>
          oc
            .columns(["key", "rpc"])
            .doUpdateSet({ fingerprint, response: null, created_at: sql`now()` })
            .where("idempotency_keys.created_at", "<", sql<Date>`now() - make_interval(secs => ${this.ttlMs / 1000})`),
        )
        .returning("key")
        .executeTakeFirst();
      if (!claimed) {
        const first = await trx
          .selectFrom("idempotency_keys")
          .select(["fingerprint", "response"])
          .where("key", "=", key)
          .where("rpc", "=", rpc)
          .executeTakeFirstOrThrow();
        if (first.fingerprint !== fingerprint)
          throw new ConnectError(`${IDEMPOTENCY_KEY_HEADER} "${key}" was used for a different ${rpc} request`, Code.InvalidArgument);
        return fromBinary(output, first.response!);
      }
      // The work joins the key's transaction: its answer is stored with what it took, or neither is.
      const answer = await work({ stock: new Stock(trx), orders: new Orders(trx) });
      await trx
        .updateTable("idempotency_keys")
        .set({ response: toBinary(output, answer) })
        .where("key", "=", key)
        .where("rpc", "=", rpc)
        .execute();
      // Each lock wait is bounded, but a caller can still stop waiting while the work runs: then it rolls back.
      if (!stillWaiting(deadline)) throw stoppedWaiting(deadline);
      return answer;
    });
    return run.catch((error: unknown) => {
      throw asCallerSees(deadline, error);
    });
  }
}
