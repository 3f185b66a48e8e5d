// `npm run deploy -- <environment> [--dry-run]`: the delivery pipeline.
//
//   1. Each service's version (the last commit touching what it is built from)
//      against the version the environment runs: unchanged services are skipped.
//   2. The gates, once, before anything moves: npm test, buf breaking, and the
//      consumer's new pacts published to the Pact Broker.
//   3. Per changed service, providers before consumers (chillybin, then jafflr):
//      can-i-deploy against what runs at that moment, build, deploy, confirm it
//      is healthy at the new version, and record the deployment in the broker,
//      so the next check (jafflr's, say) sees what really runs.
//
// --dry-run prints that plan and changes nothing.
import { readCli } from "../support/cli-args.js";
import { readEnvironment, type Environment } from "./environments.js";
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

interface GateStep {
  what: string;
  run: () => Promise<number>;
  /** false: run for what it tells the broker, not as a condition (its own result is not the decision). */
  required: boolean;
}

const npmScript =
  (...args: string[]) =>
  () =>
    runCommand("npm", ["run", "--silent", ...args]);

/** Before anything moves: the whole suite, the schema's compatibility, and the consumer's new pacts published. */
function upfrontGates(environment: Environment, plans: ServicePlan[]): GateStep[] {
  const consumer = plans.find((p) => p.service === CONSUMER)!;
  const steps: GateStep[] = [];
  if (environment.gates.includes("test")) steps.push({ what: "npm test", run: () => runCommand("npm", ["test"]), required: true });
  if (environment.gates.includes("breaking")) steps.push({ what: "npm run breaking", run: npmScript("breaking"), required: true });
  if (environment.gates.includes("contracts") && consumer.deploy) {
    // Published first, so that the provider's verification includes them.
    steps.push({
      what: `publish ${CONSUMER} ${consumer.version}'s pacts`,
      run: async () => (await pactBroker(["publish", "pacts", "--consumer-app-version", consumer.version, "--branch", gitBranch()])).code,
      required: true,
    });
  }
  return steps;
}

/**
 * Immediately before a service deploys: can-i-deploy against what the
 * environment runs at that moment (so the consumer's check sees the provider
 * this run has just deployed and recorded).
 */
function contractGates(environment: Environment, plans: ServicePlan[], plan: ServicePlan): GateStep[] {
  if (!environment.gates.includes("contracts")) return [];
  const provider = plans.find((p) => p.service === PROVIDER)!;
  const check = (p: ServicePlan, required: boolean): GateStep => ({
    what: `npm run can-i-deploy -- ${p.service} ${p.version} ${environment.name}`,
    run: npmScript("can-i-deploy", p.service, p.version, environment.name),
    required,
  });
  if (plan.service === PROVIDER) return [check(plan, true)];
  // An unchanged provider's code is exactly what runs (its version says so): verifying
  // it here publishes the deployed provider's results for the consumer's new pacts.
  return provider.deploy ? [check(plan, true)] : [check(provider, false), check(plan, true)];
}

async function passGates(steps: GateStep[], stopping: string): Promise<boolean> {
  for (const gate of steps) {
    console.log(`\n== gate: ${gate.what}`);
    const code = await gate.run();
    if (code !== 0 && gate.required) {
      console.error(`\nREFUSED: the gate "${gate.what}" failed (exit ${code}). ${stopping}`);
      return false;
    }
  }
  return true;
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
  console.log("gates first (any failure stops the deploy before anything changes):");
  const upfront = upfrontGates(environment, plans);
  if (upfront.length === 0) console.log("  (none)");
  for (const gate of upfront) console.log(`  - ${gate.what}`);
  for (const plan of changing) {
    console.log(`then ${plan.service} ${plan.version}:`);
    for (const gate of contractGates(environment, plans, plan))
      console.log(`  - gate: ${gate.what}${gate.required ? "" : " (verifies the running provider against the new pacts)"}`);
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
  if (!(await passGates(upfrontGates(environment, plans), "Nothing was deployed."))) return 1;
  const done: string[] = [];
  for (const plan of changing) {
    const stopping = done.length ? `Deployed before it: ${done.join(", ")}; ${plan.service} and what follows were not.` : "Nothing was deployed.";
    if (!(await passGates(contractGates(environment, plans, plan), stopping))) return 1;
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
      console.error(
        `\nFAILED: ${plan.service} ${plan.version} runs in ${environment.name} but recording it in the broker failed (exit ${recorded}); record it before the next deploy.`,
      );
      return 1;
    }
    done.push(`${plan.service} ${plan.version}`);
  }
  console.log(`\ndeployed: ${done.join(", ")}`);
  return 0;
}

export async function deployCommand(args: string[], root: string): Promise<number> {
  const cli = readCli(args, "npm run deploy -- <environment> [--dry-run]", { flags: { "dry-run": { type: "boolean" } }, positionals: { min: 1, max: 1 } });
  if (!cli) return 2;
  const dryRun = cli.values["dry-run"] === true;
  let environment: Environment;
  try {
    environment = readEnvironment(cli.positionals[0]!);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const target = targetFor(environment, root);
  const plans = await planDeploy(environment, target, root);
  printPlan(environment, target, plans, dryRun);
  return dryRun ? 0 : runDeploy(environment, target, plans);
}
