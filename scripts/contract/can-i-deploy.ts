// `npm run can-i-deploy -- <service> <version> <environment> [--pact-dir <dir>]`:
// the contract gate before a deploy, with PACT_BROKER_BASE_URL set (and
// PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME/PASSWORD, if the broker wants them).
//
//   jafflr (the consumer):     publish its pacts (pacts/, or --pact-dir) as
//                              <version> on the git branch, then ask can-i-deploy.
//   chillybin (the provider):  verify the real chillybin against the pacts the
//                              broker selects (main branch, matching branch,
//                              deployed or released; pending pacts, WIP pacts),
//                              publish the results as <version> on the branch,
//                              then ask can-i-deploy. A failure of a pact that
//                              is not pending fails here, as it fails the build.
//
// Exits 0 only when the broker says yes; the deploy path refuses on anything else.
import { cliOrExit } from "../support/cli-args.js";
import { startScratchChillybin } from "../support/scratch-chillybin.js";
import { selectedPactsVerification, verifyProvider } from "./chillybin-provider.js";
import { type BrokerSettings, brokerSettings, gitBranch, pactBroker } from "./pact-broker-cli.js";
import { CONSUMER, PROVIDER } from "./provider-states.js";

const USAGE = `npm run can-i-deploy -- <${CONSUMER}|${PROVIDER}> <version> <environment> [--pact-dir <dir>]`;
const { positionals, values } = cliOrExit(process.argv.slice(2), USAGE, {
  flags: { "pact-dir": { type: "string", default: "pacts" } },
  positionals: { min: 3, max: 3 },
});
const [service, version, environment] = positionals as [string, string, string];
if (![CONSUMER, PROVIDER].includes(service)) {
  console.error(`usage: ${USAGE}\n  unknown service "${service}"`);
  process.exit(2);
}

async function publishPacts(branch: string): Promise<void> {
  const { code } = await pactBroker(["publish", values["pact-dir"], "--consumer-app-version", version, "--branch", branch]);
  if (code !== 0) throw new Error(`publishing ${values["pact-dir"]} failed (exit ${code})`);
}

/** Verifies and publishes the results; answers why the build fails, or undefined when it passes. */
async function verifyAndPublish(branch: string, broker: BrokerSettings): Promise<string | undefined> {
  // The version exists (on its branch) even when no pact needs verifying yet,
  // so that its deployment can be recorded.
  const created = await pactBroker(["create-or-update-version", "--pacticipant", PROVIDER, "--version", version, "--branch", branch]);
  if (created.code !== 0) throw new Error(`creating ${PROVIDER} version ${version} failed (exit ${created.code})`);
  const chillybin = await startScratchChillybin({ version });
  try {
    await verifyProvider(chillybin, selectedPactsVerification({ broker, providerVersion: version, providerVersionBranch: branch }));
    console.log(`${PROVIDER} ${version} verified the selected pacts (pending ones may have failed: see above); results published`);
    return undefined;
  } catch (error) {
    // The failed results are published too: can-i-deploy and the broker's matrix say which.
    return `${PROVIDER} ${version} failed the verification of a pact that is not pending: ${error instanceof Error ? error.message.slice(0, 2000) : String(error)}`;
  } finally {
    await chillybin.stop();
  }
}

try {
  const broker = brokerSettings();
  const branch = gitBranch();
  if (service === CONSUMER) await publishPacts(branch);
  else {
    const failed = await verifyAndPublish(branch, broker);
    if (failed) {
      console.error(`\n${failed}\nREFUSED: ${service} ${version} must not be deployed to ${environment}: its build fails verification.`);
      process.exit(1);
    }
  }
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
