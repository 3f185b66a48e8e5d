// Where a deploy goes. Each target answers what version runs now, and knows
// how to build, roll out and confirm a new one.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildService } from "./bundle.js";
import type { Environment, KubernetesEnvironment, LocalEnvironment } from "./environments.js";
import { imageOf, renderManifests, toYaml } from "./kubernetes.js";
import { commandOutput, runCommand } from "./run-command.js";
import { RUN_BUNDLE_ARGS, type ServiceName } from "./services.js";

export interface DeployTarget {
  /** One line: where this is. */
  readonly description: string;
  /** The version running now; undefined when the service is not deployed. */
  deployedVersion(service: ServiceName): Promise<string | undefined>;
  /** What build, deploy and confirm will do, for the plan. */
  describeSteps(service: ServiceName, version: string): string[];
  build(service: ServiceName, version: string): Promise<void>;
  deploy(service: ServiceName, version: string): Promise<void>;
  /** Resolves once the new version is serving; throws saying why not. */
  confirmHealthy(service: ServiceName, version: string): Promise<void>;
}

export function targetFor(environment: Environment, root: string): DeployTarget {
  return environment.target === "kubernetes" ? new KubernetesTarget(environment, root) : new LocalTarget(environment, root);
}

async function mustSucceed(code: Promise<number>, what: string): Promise<void> {
  const exit = await code;
  if (exit !== 0) throw new Error(`${what} failed (exit ${exit})`);
}

/** A cluster, through kubectl's current context, with images pushed by docker. */
class KubernetesTarget implements DeployTarget {
  readonly description: string;
  constructor(
    private readonly environment: KubernetesEnvironment,
    private readonly root: string,
  ) {
    this.description = `Kubernetes namespace ${environment.namespace}, images in ${environment.registry}`;
  }

  async deployedVersion(service: ServiceName): Promise<string | undefined> {
    try {
      const label = await commandOutput("kubectl", [
        "-n",
        this.environment.namespace,
        "get",
        "deployment",
        service,
        "--ignore-not-found",
        "-o",
        "jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}",
      ]);
      return label || undefined;
    } catch (error) {
      throw new Error(`kubectl cannot reach the cluster: ${(error as Error).message}`);
    }
  }

  describeSteps(service: ServiceName, version: string): string[] {
    const image = imageOf(service, version, this.environment);
    return [
      `docker build -f services/${service}/Dockerfile --build-arg VERSION=${version} -t ${image} .`,
      `docker push ${image}`,
      `npm run manifests -- ${this.environment.name} ${service} | kubectl -n ${this.environment.namespace} apply -f -`,
      `kubectl -n ${this.environment.namespace} rollout status deployment/${service} (new pods ready on gRPC health; old ones drained one by one)`,
    ];
  }

  async build(service: ServiceName, version: string): Promise<void> {
    const image = imageOf(service, version, this.environment);
    await mustSucceed(
      runCommand("docker", [
        "build",
        "-f",
        path.join(this.root, `services/${service}/Dockerfile`),
        "--build-arg",
        `VERSION=${version}`,
        "-t",
        image,
        this.root,
      ]),
      "docker build",
    );
    await mustSucceed(runCommand("docker", ["push", image]), "docker push");
  }

  async deploy(service: ServiceName, version: string): Promise<void> {
    const manifests = toYaml(renderManifests(service, version, this.environment));
    await mustSucceed(runCommand("kubectl", ["-n", this.environment.namespace, "apply", "-f", "-"], { input: manifests }), "kubectl apply");
  }

  async confirmHealthy(service: ServiceName, version: string): Promise<void> {
    await mustSucceed(runCommand("kubectl", ["-n", this.environment.namespace, "rollout", "status", `deployment/${service}`, "--timeout=300s"]), "the rollout");
    const running = await this.deployedVersion(service);
    if (running !== version) throw new Error(`${service} reports ${running ?? "nothing"} after the rollout, not ${version}`);
  }
}

/**
 * Processes on this machine, one per service, from bundles kept under the
 * environment's stateDir: for trying the whole pipeline without a cluster.
 * A new version replaces the old on the same port (stop, then start): local
 * has one instance, so it does not pretend to roll without a gap.
 */
class LocalTarget implements DeployTarget {
  readonly description: string;
  constructor(
    private readonly environment: LocalEnvironment,
    private readonly root: string,
  ) {
    this.description = `processes on this machine (${environment.stateDir}), ports ${Object.entries(environment.ports)
      .map(([s, p]) => `${s} ${p}`)
      .join(", ")}`;
  }

  private folder(service: ServiceName, ...parts: string[]): string {
    return path.resolve(this.root, this.environment.stateDir, service, ...parts);
  }

  private url(service: ServiceName): string {
    return `http://127.0.0.1:${this.environment.ports[service]}`;
  }

  /** The service's /health answer: its HTTP status and body. Rejects when nothing answers on its port. */
  private async health(service: ServiceName): Promise<{ ok: boolean; status: number; body: { status?: string; version?: string } }> {
    const res = await fetch(`${this.url(service)}/health`, { signal: AbortSignal.timeout(2_000) });
    return { ok: res.ok, status: res.status, body: (await res.json()) as { status?: string; version?: string } };
  }

  async deployedVersion(service: ServiceName): Promise<string | undefined> {
    return this.health(service).then(
      (h) => h.body.version,
      () => undefined, // nothing answers on its port
    );
  }

  describeSteps(service: ServiceName, version: string): string[] {
    return [
      `npm run build into ${path.relative(this.root, this.folder(service, "builds", version))}`,
      `stop the running ${service} (SIGTERM: it drains), start the new one on port ${this.environment.ports[service]}`,
      `wait until ${this.url(service)}/health is SERVING at ${version}`,
    ];
  }

  async build(service: ServiceName, version: string): Promise<void> {
    const { folder: outdir } = await buildService(service, this.root, version, this.folder(service, "builds", version));
    console.log(`built ${service} ${version} → ${outdir}`);
  }

  async deploy(service: ServiceName, version: string): Promise<void> {
    await this.stopRunning(service);
    mkdirSync(this.folder(service), { recursive: true });
    const log = openSync(this.folder(service, "log"), "a");
    const port = String(this.environment.ports[service]);
    const env = {
      ...process.env,
      VERSION: version,
      ...(service === "chillybin"
        ? { CHILLYBIN_PORT: port, CHILLYBIN_DATA_DIR: this.folder(service, "data") }
        : { JAFFLR_PORT: port, CHILLYBIN_URL: this.url("chillybin") }),
    };
    // Detached and unreferenced: it outlives this deploy, like a pod outlives kubectl.
    const child = spawn(process.execPath, RUN_BUNDLE_ARGS, { cwd: this.folder(service, "builds", version), env, detached: true, stdio: ["ignore", log, log] });
    child.unref();
    writeFileSync(this.folder(service, "current.json"), `${JSON.stringify({ version, pid: child.pid }, null, 2)}\n`);
    console.log(`started ${service} ${version} (pid ${child.pid}, log ${path.relative(this.root, this.folder(service, "log"))})`);
  }

  private async stopRunning(service: ServiceName): Promise<void> {
    const state = this.folder(service, "current.json");
    if (!existsSync(state)) return;
    const { pid, version } = JSON.parse(readFileSync(state, "utf8")) as { pid: number; version: string };
    if (!isRunning(pid)) return;
    console.log(`stopping ${service} ${version} (pid ${pid})`);
    process.kill(pid, "SIGTERM");
    for (let waited = 0; isRunning(pid); waited += 100) {
      if (waited > 45_000) throw new Error(`${service} (pid ${pid}) did not stop within 45 s of SIGTERM`);
      await sleep(100);
    }
  }

  async confirmHealthy(service: ServiceName, version: string): Promise<void> {
    let last = "no answer";
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      try {
        const { ok, status, body } = await this.health(service);
        if (ok && body.version === version) return;
        last = `${status} ${JSON.stringify(body)}`;
      } catch (error) {
        last = (error as Error).message;
      }
    }
    const log = existsSync(this.folder(service, "log")) ? readFileSync(this.folder(service, "log"), "utf8").split("\n").slice(-10).join("\n") : "";
    throw new Error(`${service} ${version} is not healthy after 60 s (last: ${last})\n${log}`);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
