// Mocha's root hooks (.mocharc.json "require"), run once for the whole suite.
import { migratedEmbeddedCopy } from "../../scripts/support/migrated-copies.js";
import { usingPostgresServer } from "../../scripts/support/scratch-database.js";
import { CHILLYBIN_MIGRATIONS } from "../../services/chillybin/database.js";

export const mochaHooks = {
  /**
   * chillybin's migrated embedded database, copied before any test runs, so
   * that the processes tests start (a provider under verification, the
   * contract scripts) start their scratch databases from it too instead of
   * each running initdb and the migrations.
   */
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    if (!usingPostgresServer) await migratedEmbeddedCopy(CHILLYBIN_MIGRATIONS);
  },
};
