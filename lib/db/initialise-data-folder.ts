// `node initialise-data-folder.{ts,mjs} <folder>`: makes a new embedded
// database's data folder (PostgreSQL's initdb, in PGlite) and exits. Run as a
// process of its own by open-database.ts: initdb took the process running it
// to 0.5–1.2 GB and left ~75 MB behind in its allocator (PGlite makes the
// cluster in an in-memory file system, then copies it out), which a service
// would otherwise hold for its whole life. A service (and the bundle, which
// carries this file beside main.mjs) then opens the folder as on any restart.
import { PGlite } from "@electric-sql/pglite";
import { embeddedStartParams } from "./embedded-postgres.js";

const folder = process.argv[2];
if (!folder) {
  process.stderr.write("usage: initialise-data-folder <folder>\n");
  process.exit(2);
}
try {
  const pglite = await PGlite.create({ dataDir: folder, startParams: embeddedStartParams() });
  await pglite.close();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
