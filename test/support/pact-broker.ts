// A real Pact Broker for a test file: the pact_broker gem, started exactly as
// `npm run broker` starts it (scripts/contract/pact-broker.ts), on a free port
// with SQLite in a temporary folder, and what the tests read back from it
// through its HTTP API. Without Ruby the test fails at once, naming what to install.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ensureBrokerEnvironments } from "../../scripts/contract/broker-environments.js";
import { installPactBroker, type RunningPactBroker, startPactBroker } from "../../scripts/contract/pact-broker.js";

/** A before hook that starts the broker may install its gems first: minutes on a new machine. */
export const INSTALL_TIMEOUT_MS = 15 * 60_000;

/** A row of the broker's matrix: a consumer version's pact and a provider version's verification of it. */
export interface MatrixRow {
  consumer: string;
  consumerVersion: string;
  consumerBranch: string | undefined;
  provider: string;
  providerVersion: string | undefined;
  success: boolean | undefined;
}

export interface TestPactBroker {
  url: string;
  /** The environment the official clients and this project's scripts need to reach it. */
  env: Record<string, string>;
  /** Every line the broker has written (its errors name what a 500's reference stands for). */
  log: readonly string[];
  /** The names of every pacticipant the broker knows. */
  pacticipants(): Promise<string[]>;
  /** Where the broker answers matrix() (for a test that reads it itself). */
  matrixUrl(consumer: string, provider: string): string;
  /** Every pact and verification the broker holds between two pacticipants. */
  matrix(consumer: string, provider: string): Promise<MatrixRow[]>;
  /** "pacticipant version" for each version currently deployed to an environment, sorted. */
  deployed(environment: string): Promise<string[]>;
  /** The branches a version was published from. */
  branchesOf(pacticipant: string, version: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** GETs a broker resource; an error answer throws with what the broker logged (a 500 names only a reference there). */
async function halGet<T>(log: readonly string[], url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: "application/hal+json" } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}\nthe broker wrote:\n${log.join("\n")}`);
  return (await response.json()) as T;
}

interface MatrixJson {
  matrix: {
    consumer: { name: string; version: { number: string; branch?: string } };
    provider: { name: string; version?: { number: string } | null };
    verificationResult?: { success: boolean } | null;
  }[];
}

/** Starts a broker knowing `environments` (none by default). */
export async function startTestPactBroker(environments: string[] = []): Promise<TestPactBroker> {
  await installPactBroker();
  const dataDir = mkdtempSync(path.join(tmpdir(), "pact-broker-test-"));
  const log: string[] = [];
  let broker: RunningPactBroker;
  try {
    broker = await startPactBroker({ dataDir, onLine: (line) => log.push(line) });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = broker.url;
  const env = { PACT_BROKER_BASE_URL: url, PACT_BROKER_HTTP_RETRIES: "0", PACT_DO_NOT_TRACK: "true" };
  const stop = async () => {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await ensureBrokerEnvironments(environments, env);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nthe broker wrote:\n${log.join("\n")}`);
  }
  const matrixUrl = (consumer: string, provider: string) => {
    const query = `q[][pacticipant]=${consumer}&q[][pacticipant]=${provider}&latestby=`;
    return `${url}/matrix?${query.replaceAll("[", "%5B").replaceAll("]", "%5D")}`;
  };
  return {
    url,
    env,
    log,
    async pacticipants() {
      type Pacticipants = { _embedded: { pacticipants: { name: string }[] } };
      return (await halGet<Pacticipants>(log, `${url}/pacticipants`))._embedded.pacticipants.map((p) => p.name).sort();
    },
    matrixUrl,
    async matrix(consumer, provider) {
      const { matrix } = await halGet<MatrixJson>(log, matrixUrl(consumer, provider));
      return matrix.map((row) => ({
        consumer: row.consumer.name,
        consumerVersion: row.consumer.version.number,
        consumerBranch: row.consumer.version.branch,
        provider: row.provider.name,
        providerVersion: row.provider.version?.number,
        success: row.verificationResult?.success,
      }));
    },
    async deployed(environment) {
      type Environments = { _embedded: { environments: { uuid: string; name: string }[] } };
      const all = (await halGet<Environments>(log, `${url}/environments`))._embedded.environments;
      const uuid = all.find((e) => e.name === environment)?.uuid;
      if (!uuid) throw new Error(`the broker has no environment ${environment}`);
      type Deployed = { _embedded: { deployedVersions: { _embedded: { pacticipant: { name: string }; version: { number: string } } }[] } };
      const { deployedVersions } = (await halGet<Deployed>(log, `${url}/environments/${uuid}/deployed-versions/currently-deployed`))._embedded;
      return deployedVersions.map((d) => `${d._embedded.pacticipant.name} ${d._embedded.version.number}`).sort();
    },
    async branchesOf(pacticipant, version) {
      type Version = { _embedded: { branchVersions: { name: string }[] } };
      return (await halGet<Version>(log, `${url}/pacticipants/${pacticipant}/versions/${version}`))._embedded.branchVersions.map((b) => b.name);
    },
    stop,
  };
}
