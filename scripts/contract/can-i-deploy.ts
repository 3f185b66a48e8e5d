// `npm run can-i-deploy -- <service> <version> <environment>`: the contract
// gate before a deploy, with PACT_BROKER_BASE_URL (and PACT_BROKER_TOKEN) set.
//
//   jafflr (the consumer):     publish pacts/ as <version> on the git branch,
//                              then ask can-i-deploy.
//   chillybin (the provider):  verify the real chillybin against the pacts the
//                              broker selects (main branch, deployed, matching
//                              branch), publish the results as <version>, then
//                              ask can-i-deploy.
//
// Exits 0 only when the broker says yes; the deploy path refuses on anything else.
import { cliOrExit } from "../support/cli-args.js";
import { CONSUMER, PROVIDER } from "./provider-states.js";
import { startScratchChillybin } from "../support/scratch-chillybin.js";
import { verifyProvider } from "./chillybin-provider.js";
import { brokerSettings, gitBranch, pactBroker } from "./pact-broker-cli.js";

const USAGE = `npm run can-i-deploy -- <${CONSUMER}|${PROVIDER}> <version> <environment>`;
const [service, version, environment] = cliOrExit(process.argv.slice(2), USAGE, { positionals: { min: 3, max: 3 } }).positionals as [string, string, string];
if (![CONSUMER, PROVIDER].includes(service)) {
  console.error(`usage: ${USAGE}\n  unknown service "${service}"`);
  process.exit(2);
}

async function publishPacts(branch: string): Promise<void> {
  const { code } = await pactBroker(["publish", "pacts", "--consumer-app-version", version!, "--branch", branch]);
  if (code !== 0) throw new Error(`publishing pacts/ failed (exit ${code})`);
}

async function verifyAndPublish(branch: string, broker: { url: string; token?: string }): Promise<void> {
  // The version exists (on its branch) even when no pact needs verifying yet,
  // so that its deployment can be recorded.
  const created = await pactBroker(["create-or-update-version", "--pacticipant", PROVIDER, "--version", version!, "--branch", branch]);
  if (created.code !== 0) throw new Error(`creating ${PROVIDER} version ${version} failed (exit ${created.code})`);
  const chillybin = await startScratchChillybin({ version: version! });
  try {
    await verifyProvider(chillybin, {
      pactBrokerUrl: broker.url,
      pactBrokerToken: broker.token,
      consumerVersionSelectors: [{ mainBranch: true }, { deployedOrReleased: true }, { matchingBranch: true }],
      publishVerificationResult: true,
      providerVersion: version,
      providerVersionBranch: branch,
      failIfNoPactsFound: false,
    });
    console.log(`${PROVIDER} ${version} verified the selected pacts; results published`);
  } catch (error) {
    // The failed results are published too: can-i-deploy will say why.
    console.log(`${PROVIDER} ${version} failed verification: ${error instanceof Error ? error.message.slice(0, 2000) : String(error)}`);
  } finally {
    await chillybin.stop();
  }
}

try {
  const broker = brokerSettings();
  const branch = gitBranch();
  if (service === CONSUMER) await publishPacts(branch);
  else await verifyAndPublish(branch, broker);
  const { code } = await pactBroker(["can-i-deploy", "--pacticipant", service, "--version", version, "--to-environment", environment]);
  if (code !== 0) {
    console.error(`\nREFUSED: ${service} ${version} must not be deployed to ${environment}: the broker says no (see above).`);
    process.exit(1);
  }
  console.log(`\nOK: ${service} ${version} can be deployed to ${environment}.`);
  process.exit(0);
} catch (error) {
  console.error(`can-i-deploy failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
