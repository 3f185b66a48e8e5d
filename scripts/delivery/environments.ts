// deploy/environments.json: where each environment is and what guards it.
import { readFileSync } from "node:fs";
import { SERVICE_NAMES, type ServiceName } from "./services.js";

/** What must pass before anything is deployed: npm test, buf breaking, Pact can-i-deploy. */
export const GATES = ["test", "breaking", "contracts"] as const;
export type Gate = (typeof GATES)[number];

interface Common {
  name: string;
  gates: Gate[];
}

export interface KubernetesEnvironment extends Common {
  target: "kubernetes";
  namespace: string;
  /** Images are <registry>/<service>:<version>. */
  registry: string;
  replicas: { min: number; max: number };
}

export interface LocalEnvironment extends Common {
  target: "local";
  /** Where builds, logs, embedded databases and process ids are kept. */
  stateDir: string;
  ports: Record<ServiceName, number>;
}

export type Environment = KubernetesEnvironment | LocalEnvironment;

/** The file the environments come from: DEPLOY_ENVIRONMENTS, or deploy/environments.json. */
export function environmentsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.DEPLOY_ENVIRONMENTS || "deploy/environments.json";
}

/** The names of every environment in the file. */
export function environmentNames(file = environmentsFile()): string[] {
  return Object.keys(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>).filter((k) => !k.startsWith("$"));
}

/** Reads one environment, checking what the pipeline relies on; throws saying what is wrong. */
export function readEnvironment(name: string, file = environmentsFile()): Environment {
  const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const names = environmentNames(file);
  const raw = all[name] as Record<string, unknown> | undefined;
  if (!raw || name.startsWith("$")) throw new Error(`no environment "${name}" in ${file}; there are: ${names.join(", ")}`);
  const fail = (what: string) => new Error(`${file}: ${name}.${what}`);
  const gates = raw.gates;
  if (!Array.isArray(gates) || !gates.every((g) => (GATES as readonly string[]).includes(g as string)))
    throw fail(`gates must list some of ${GATES.join(", ")}`);
  if (raw.target === "kubernetes") {
    const replicas = raw.replicas as { min?: unknown; max?: unknown } | undefined;
    if (typeof raw.namespace !== "string" || !raw.namespace) throw fail("namespace must be a name");
    if (typeof raw.registry !== "string" || !raw.registry) throw fail("registry must be an image registry path");
    if (
      !replicas ||
      !Number.isInteger(replicas.min) ||
      !Number.isInteger(replicas.max) ||
      (replicas.min as number) < 2 ||
      (replicas.max as number) < (replicas.min as number)
    ) {
      throw fail("replicas must be {min, max}, whole numbers, 2 ≤ min ≤ max (one replica cannot roll without a gap)");
    }
    return {
      name,
      target: "kubernetes",
      gates: gates as Gate[],
      namespace: raw.namespace,
      registry: raw.registry,
      replicas: replicas as { min: number; max: number },
    };
  }
  if (raw.target === "local") {
    const ports = raw.ports as Record<string, unknown> | undefined;
    if (typeof raw.stateDir !== "string" || !raw.stateDir) throw fail("stateDir must be a folder");
    if (!ports || !SERVICE_NAMES.every((s) => Number.isInteger(ports[s]))) throw fail(`ports must give a port for each of ${SERVICE_NAMES.join(", ")}`);
    return { name, target: "local", gates: gates as Gate[], stateDir: raw.stateDir, ports: ports as Record<ServiceName, number> };
  }
  throw fail(`target must be "kubernetes" or "local", got ${JSON.stringify(raw.target)}`);
}
