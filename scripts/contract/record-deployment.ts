// `npm run record-deployment -- <service> <version> <environment>`: tells the
// Pact Broker (PACT_BROKER_BASE_URL) that a version now runs in an
// environment, once the deploy has succeeded, so later can-i-deploy checks
// test against what is really deployed.
import { cliOrExit } from "../support/cli-args.js";
import { CONSUMER, PROVIDER } from "./provider-states.js";
import { brokerSettings, pactBroker } from "./pact-broker-cli.js";

const USAGE = `npm run record-deployment -- <${CONSUMER}|${PROVIDER}> <version> <environment>`;
const [service, version, environment] = cliOrExit(process.argv.slice(2), USAGE, { positionals: { min: 3, max: 3 } }).positionals as [string, string, string];
if (![CONSUMER, PROVIDER].includes(service)) {
  console.error(`usage: ${USAGE}\n  unknown service "${service}"`);
  process.exit(2);
}
try {
  brokerSettings();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const { code } = await pactBroker(["record-deployment", "--pacticipant", service, "--version", version, "--environment", environment]);
process.exit(code);
