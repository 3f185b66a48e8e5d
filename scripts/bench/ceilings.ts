// The database's own ceilings, measured in the same run as the services
// (absolute figures move 2x between machines and runs; ratios to these do
// not): straight from a pg pool of `clients` connections, what one call's
// database work costs with nothing else in the way.
import pg from "pg";
import { closedLoop, type LoadFigures } from "./load.js";

/** A Pick: one conditional UPDATE of the hot row. */
export async function pickCeiling(databaseUrl: string, clients: number, seconds: number): Promise<LoadFigures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients });
  try {
    return await closedLoop(clients, seconds, () =>
      pool.query("update ingredients set quantity = quantity - $1 where name = $2 and quantity >= $1 returning quantity", [1, "cheese"]),
    );
  } finally {
    await pool.end();
  }
}

/**
 * A toastie: what one PickOrder of 2 bread + 1 cheese runs on its own, in one
 * transaction: each item's conditional UPDATE and its order row, in name order.
 */
export async function toastieCeiling(databaseUrl: string, clients: number, seconds: number): Promise<LoadFigures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients });
  const take = "update ingredients set quantity = quantity - $1 where name = $2 and quantity >= $1 returning quantity";
  const record = "insert into orders (customer, ingredient, quantity, reference) values ($1, $2, $3, $4) returning id";
  try {
    return await closedLoop(clients, seconds, async () => {
      const client = await pool.connect();
      try {
        await client.query("begin");
        await client.query(take, [2, "bread"]);
        await client.query(record, ["walk-in", "bread", 2, "toastie, light"]);
        await client.query(take, [1, "cheese"]);
        await client.query(record, ["walk-in", "cheese", 1, "toastie, light"]);
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw error;
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.end();
  }
}
