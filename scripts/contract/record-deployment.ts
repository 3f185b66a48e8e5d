// `npm run record-deployment -- <service> <version> <environment>`: tells the
// Pact Broker (PACT_BROKER_BASE_URL) that a version now runs in an
// environment, once the deploy has succeeded, so later can-i-deploy checks
// test against what is really deployed.
import { CONSUMER, PROVIDER } from "./provider-states.js";
import { brokerSettings, pactBroker } from "./pact-broker-cli.js";

const [service, version, environment] = process.argv.slice(2);
if (!service || !version || !environment || ![CONSUMER, PROVIDER].includes(service)) {
  console.error(`usage: npm run record-deployment -- <${CONSUMER}|${PROVIDER}> <version> <environment>`);
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
