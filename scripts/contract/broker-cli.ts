// `npm run broker`: a Pact Broker on this machine, the one the contract tests
// use (ops/pact-broker), for trying the deploy workflow by hand:
//
//   PACT_BROKER_PORT           port on 127.0.0.1 (default 9292)
//   PACT_BROKER_DATABASE_URL   a PostgreSQL database (postgres://…); without it,
//                              SQLite in PACT_BROKER_DATA_DIR (default .data/pact-broker)
//
// Installs its gems when they are missing, creates the environments of
// deploy/environments.json, prints its URL; Ctrl-C stops it.
// `npm run broker -- --install` only installs the gems (CI does that first).
import { cliOrExit } from "../support/cli-args.js";
import { ensureBrokerEnvironments } from "./broker-environments.js";
import { installPactBroker, type RunningPactBroker, startPactBroker } from "./pact-broker.js";

const USAGE = "npm run broker [-- --install]";
const { values } = cliOrExit(process.argv.slice(2), USAGE, { flags: { install: { type: "boolean" } }, positionals: { min: 0, max: 0 } });

const port = Number(process.env.PACT_BROKER_PORT || 9292);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`PACT_BROKER_PORT must be a port number (1–65535), not "${process.env.PACT_BROKER_PORT}"`);
  process.exit(2);
}

try {
  await installPactBroker();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (values.install) process.exit(0);

// Ctrl-C may come at any moment, while the broker starts too: it always stops the broker (puma) before exiting.
let stopping = false;
let broker: RunningPactBroker | undefined;
const stopAndExit = async (code: number) => {
  await broker?.stop();
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    if (broker) void stopAndExit(0); // else: stopped as soon as it has started, below
  });
}

try {
  broker = await startPactBroker({
    port,
    dataDir: process.env.PACT_BROKER_DATA_DIR || ".data/pact-broker",
    databaseUrl: process.env.PACT_BROKER_DATABASE_URL || undefined,
    onLine: (line) => console.log(`pact-broker | ${line}`),
  });
  if (stopping) await stopAndExit(0);
  process.env.PACT_BROKER_BASE_URL = broker.url;
  const created = await ensureBrokerEnvironments();
  console.log(`\nPact Broker: ${broker.url}   (environments created: ${created.join(", ") || "none, all there"})`);
} catch (error) {
  console.error((error as Error).message);
  await stopAndExit(1);
}
console.log(`  export PACT_BROKER_BASE_URL=${broker!.url}   then npm run can-i-deploy, record-deployment, verify-changed-pact`);
console.log("  Ctrl-C stops it.");

const code = await broker!.process.exited;
if (!stopping) {
  console.error(`the Pact Broker exited on its own (code ${code})`);
  process.exit(1);
}
