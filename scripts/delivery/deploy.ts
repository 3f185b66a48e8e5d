// `npm run deploy -- <environment> [--dry-run]`: the delivery pipeline.
//
//   1. Each service's version (the last commit touching what it is built from)
//      against the version the environment runs: unchanged services are skipped.
//   2. The gates, once, before anything moves: npm test, buf breaking, and the
//      Pact Broker's can-i-deploy for each service that changes.
//   3. Per changed service, providers before consumers (chillybin, then jafflr):
//      build, deploy, confirm it is healthy at the new version, and record the
//      deployment in the broker, so later gates check against what really runs.
//
// --dry-run prints that plan and changes nothing.
import { readEnvironment, type Environment, type Gate } from "./environments.js";
import { brokerSettings, gitBranch, pactBroker } from "../contract/pact-broker-cli.js";
import { runCommand } from "./run-command.js";
import { SERVICE_NAMES, type ServiceName } from "./services.js";
import { targetFor, type DeployTarget } from "./targets.js";
import { serviceVersion } from "./version.js";

/** The contract roles (test/contract): the provider must be verified and rolled out before its consumer. */
const PROVIDER: ServiceName = "chillybin";
const CONSUMER: ServiceName = "jafflr";

export interface ServicePlan {
  service: ServiceName;
  version: string;
  /** What runs now: a version, nothing, or why it could not be told. */
  deployed: { version?: string; unknown?: string };
  deploy: boolean;
  reason: string;
}

export async function planDeploy(environment: Environment, target: DeployTarget, root: string): Promise<ServicePlan[]> {
  const plans: ServicePlan[] = [];
  for (const service of SERVICE_NAMES) {
    const version = await serviceVersion(service, root);
    let deployed: ServicePlan["deployed"];
    try {
      deployed = { version: await target.deployedVersion(service) };
    } catch (error) {
      deployed = { unknown: (error as Error).message };
    }
    const reason =
      deployed.unknown !== undefined
        ? `cannot tell what runs (${deployed.unknown}); a deploy refuses until it can`
        : deployed.version === undefined
          ? `not deployed to ${environment.name} yet`
          : deployed.version === version
            ? `unchanged: ${environment.name} already runs ${version}`
            : `changed since ${deployed.version}`;
    plans.push({ service, version, deployed, deploy: deployed.version !== version, reason });
  }
  return plans;
}

/** The gate commands, as run: each a description and a thunk answering the exit code. */
function gateSteps(gates: readonly Gate[], plans: ServicePlan[], environment: Environment): Array<{ what: string; run: () => Promise<number>; required: boolean }> {
  const changed = (s: ServiceName) => plans.find((p) => p.service === s)!.deploy;
  const version = (s: ServiceName) => plans.find((p) => p.service === s)!.version;
  const npm = (...args: string[]) => () => runCommand("npm", ["run", "--silent", ...args]);
  const steps: Array<{ what: string; run: () => Promise<number>; required: boolean }> = [];
  if (gates.includes("test")) steps.push({ what: "npm test", run: () => runCommand("npm", ["test"]), required: true });
  if (gates.includes("breaking")) steps.push({ what: "npm run breaking", run: npm("breaking"), required: true });
  if (gates.includes("contracts")) {
    if (changed(CONSUMER)) {
      // Published first, so that the provider's verification below includes them.
      steps.push({
        what: `publish ${CONSUMER} ${version(CONSUMER)}'s pacts`,
        run: async () => (await pactBroker(["publish", "pacts", "--consumer-app-version", version(CONSUMER), "--branch", gitBranch()])).code,
        required: true,
      });
    }
    if (changed(PROVIDER) || changed(CONSUMER)) {
      // An unchanged provider's code is exactly what runs (its version says so):
      // verifying it here verifies the deployed provider against the new pacts.
      steps.push({ what: `npm run can-i-deploy -- ${PROVIDER} ${version(PROVIDER)} ${environment.name}`, run: npm("can-i-deploy", PROVIDER, version(PROVIDER), environment.name), required: changed(PROVIDER) });
    }
    if (changed(CONSUMER)) {
      steps.push({ what: `npm run can-i-deploy -- ${CONSUMER} ${version(CONSUMER)} ${environment.name}`, run: npm("can-i-deploy", CONSUMER, version(CONSUMER), environment.name), required: true });
    }
  }
  return steps;
}

export function printPlan(environment: Environment, target: DeployTarget, plans: ServicePlan[], dryRun: boolean): void {
  console.log(`deploy to ${environment.name}: ${target.description}${dryRun ? " (dry run: nothing will change)" : ""}`);
  const width = Math.max(...plans.map((p) => p.service.length));
  for (const plan of plans) {
    const action = plan.deployed.unknown !== undefined ? "UNKNOWN" : plan.deploy ? "DEPLOY" : "SKIP";
    console.log(`  ${plan.service.padEnd(width)}  ${plan.version}  ${action}: ${plan.reason}`);
  }
  const changing = plans.filter((p) => p.deploy);
  if (changing.length === 0) {
    console.log("nothing to deploy: every service already runs its current version");
    return;
  }
  console.log("gates, in order (any failure stops the deploy before anything changes):");
  const gates = gateSteps(environment.gates, plans, environment);
  if (gates.length === 0) console.log("  (none configured)");
  for (const gate of gates) console.log(`  - ${gate.what}${gate.required ? "" : " (verifies the deployed provider for the consumer's check)"}`);
  for (const plan of changing) {
    console.log(`then ${plan.service} ${plan.version}:`);
    for (const step of target.describeSteps(plan.service, plan.version)) console.log(`  - ${step}`);
    console.log(`  - npm run record-deployment -- ${plan.service} ${plan.version} ${environment.name}`);
  }
}

/** Runs the plan; answers the process exit code. */
export async function runDeploy(environment: Environment, target: DeployTarget, plans: ServicePlan[]): Promise<number> {
  const changing = plans.filter((p) => p.deploy);
  if (changing.length === 0) return 0;
  const unknown = plans.filter((p) => p.deployed.unknown !== undefined);
  if (unknown.length) {
    console.error(`REFUSED: cannot tell what runs in ${environment.name} (${unknown.map((p) => p.service).join(", ")}); fix access to it, then deploy.`);
    return 1;
  }
  const dirty = changing.filter((p) => p.version.endsWith("-dirty"));
  if (dirty.length) {
    console.error(`REFUSED: ${dirty.map((p) => p.service).join(", ")} has uncommitted changes; a deployed version must be a commit. Commit, then deploy.`);
    return 1;
  }
  try {
    brokerSettings();
  } catch (error) {
    console.error(`REFUSED: ${(error as Error).message}. Deployments are gated and recorded there.`);
    return 1;
  }
  for (const gate of gateSteps(environment.gates, plans, environment)) {
    console.log(`\n== gate: ${gate.what}`);
    const code = await gate.run();
    if (code !== 0 && gate.required) {
      console.error(`\nREFUSED: the gate "${gate.what}" failed (exit ${code}). Nothing was deployed.`);
      return 1;
    }
  }
  for (const plan of changing) {
    try {
      console.log(`\n== ${plan.service} ${plan.version}: build`);
      await target.build(plan.service, plan.version);
      console.log(`== ${plan.service} ${plan.version}: deploy`);
      await target.deploy(plan.service, plan.version);
      await target.confirmHealthy(plan.service, plan.version);
      console.log(`== ${plan.service} ${plan.version}: healthy`);
    } catch (error) {
      console.error(`\nFAILED: ${plan.service} ${plan.version} did not deploy: ${(error as Error).message}`);
      console.error("Not recorded in the broker; later services were not deployed.");
      return 1;
    }
    const recorded = await runCommand("npm", ["run", "--silent", "record-deployment", plan.service, plan.version, environment.name]);
    if (recorded !== 0) {
      console.error(`\nFAILED: ${plan.service} ${plan.version} runs in ${environment.name} but recording it in the broker failed (exit ${recorded}); record it before the next deploy.`);
      return 1;
    }
  }
  console.log(`\ndeployed: ${changing.map((p) => `${p.service} ${p.version}`).join(", ")}`);
  return 0;
}

export async function deployCommand(args: string[], root: string): Promise<number> {
  const dryRun = args.includes("--dry-run");
  const positional = args.filter((a) => !a.startsWith("--"));
  const unknown = args.filter((a) => a.startsWith("--") && a !== "--dry-run");
  if (positional.length !== 1 || unknown.length) {
    console.error("usage: npm run deploy -- <environment> [--dry-run]");
    return 2;
  }
  let environment: Environment;
  try {
    environment = readEnvironment(positional[0]!);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const target = targetFor(environment, root);
  const plans = await planDeploy(environment, target, root);
  printPlan(environment, target, plans, dryRun);
  return dryRun ? 0 : runDeploy(environment, target, plans);
}
