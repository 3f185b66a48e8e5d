// The broker's environments are deploy/environments.json's: record-deployment
// and can-i-deploy --to-environment name them, and the broker refuses a name
// it does not know. Created with the official CLI, as an operator would.
import { environmentNames } from "../delivery/environments.js";
import { pactBroker } from "./pact-broker-cli.js";

/** The environment whose deployments are production (the broker marks it so). */
const PRODUCTION = "production";

/**
 * Creates, in the broker at PACT_BROKER_BASE_URL (this process's, or env's),
 * each environment it does not know yet, answering the names it created.
 * Running it again changes nothing.
 */
export async function ensureBrokerEnvironments(names: string[] = environmentNames(), env: Record<string, string> = {}): Promise<string[]> {
  const listed = await pactBroker(["list-environments", "--output", "json"], { echo: false, env });
  if (listed.code !== 0) throw new Error(`listing the broker's environments failed (exit ${listed.code}): ${listed.output}`);
  const known = new Set(
    ((JSON.parse(listed.output) as { _embedded?: { environments?: { name: string }[] } })._embedded?.environments ?? []).map((e) => e.name),
  );
  const created: string[] = [];
  for (const name of names.filter((n) => !known.has(n))) {
    const args = ["create-environment", "--name", name, ...(name === PRODUCTION ? ["--production"] : [])];
    const result = await pactBroker(args, { echo: false, env });
    if (result.code !== 0) throw new Error(`creating the environment ${name} failed (exit ${result.code}): ${result.output}`);
    created.push(name);
  }
  return created;
}
