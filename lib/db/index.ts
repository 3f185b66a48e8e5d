export {
  copyOfEmbedded,
  databaseLocation,
  describeLocation,
  openDatabase,
  poolUsage,
  type DatabaseLocation,
} from "./open-database.js";
export { EMBEDDED_SHARED_BUFFERS } from "./embedded-postgres.js";
export {
  assertMigrated,
  assertNothingToMigrate,
  createMigrator,
  DEFAULT_MIGRATION_LOCK_TIMEOUT_MS,
  type MigrateOptions,
  migrateToLatest,
} from "./migrations.js";
export { pingDatabase } from "./ping-database.js";
export { databaseStartupError, isDatabaseUnreachable } from "./unreachable.js";
export { inLimitedTransaction, isDatabaseTimeout, limitTransaction, lockWaitAtMost, stillWaiting, workDeadline, type WorkDeadline } from "./work-limits.js";
