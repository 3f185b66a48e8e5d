// The Kubernetes manifests, rendered for every environment and service and
// checked for what a zero-downtime rollout depends on. (tsc checks the field
// names and types against kubernetes-types; this checks that the parts agree.)
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2.js";
import type { Service } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { readEnvironment, type KubernetesEnvironment } from "../../scripts/delivery/environments.js";
import { renderManifests, toYaml } from "../../scripts/delivery/kubernetes.js";
import { SERVICES, SERVICE_NAMES } from "../../scripts/delivery/services.js";
import { runTs } from "../../scripts/support/processes.js";

const VERSION = "0123456789abcdef0123456789abcdef01234567";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe("Kubernetes manifests", () => {
  for (const environmentName of ["staging", "production"]) {
    const environment = readEnvironment(environmentName) as KubernetesEnvironment;
    for (const service of SERVICE_NAMES) {
      describe(`${service} in ${environmentName}`, () => {
        // Through YAML and back: what kubectl would read.
        const documents = parseAllDocuments(toYaml(renderManifests(service, VERSION, environment)));
        const objects = documents.map((d) => {
          assert.deepEqual(d.errors, []);
          return d.toJS() as { kind: string; apiVersion: string; metadata: { name: string; namespace: string; labels: Record<string, string> } };
        });
        const of = <T>(kind: string) => objects.find((o) => o.kind === kind) as T;
        const deployment = of<Deployment>("Deployment");
        const pod = deployment.spec!.template.spec!;
        const container = pod.containers[0]!;
        const { port } = SERVICES[service];

        it("has a Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler, named and namespaced", () => {
          assert.deepEqual(
            objects.map((o) => `${o.apiVersion} ${o.kind}`),
            ["apps/v1 Deployment", "v1 Service", "policy/v1 PodDisruptionBudget", "autoscaling/v2 HorizontalPodAutoscaler"],
          );
          for (const o of objects) {
            assert.equal(o.metadata.name, service);
            assert.match(o.metadata.name, DNS_LABEL);
            assert.equal(o.metadata.namespace, environment.namespace);
            assert.equal(o.metadata.labels["app.kubernetes.io/version"], VERSION);
            for (const value of Object.values(o.metadata.labels)) assert.ok(value.length <= 63, `label value ${value} is at most 63 characters`);
          }
        });

        it("runs the image tagged with the service's version", () => {
          assert.equal(container.image, `${environment.registry}/${service}:${VERSION}`);
          assert.equal(deployment.spec!.template.metadata!.labels!["app.kubernetes.io/version"], VERSION);
        });

        it("rolls out without dropping below the desired replicas, and leaves the count to the autoscaler", () => {
          assert.deepEqual(deployment.spec!.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
          assert.equal(deployment.spec!.replicas, undefined);
          const hpa = of<HorizontalPodAutoscaler>("HorizontalPodAutoscaler");
          assert.deepEqual(hpa.spec!.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: service });
          assert.equal(hpa.spec!.minReplicas, environment.replicas.min);
          assert.equal(hpa.spec!.maxReplicas, environment.replicas.max);
          assert.ok(environment.replicas.min >= 2);
        });

        it("probes readiness and liveness over gRPC health on the serving port", () => {
          assert.deepEqual(container.ports, [{ name: "rpc", containerPort: port }]);
          assert.deepEqual(container.readinessProbe!.grpc, { port, service: "" });
          assert.deepEqual(container.livenessProbe!.grpc, { port, service: "liveness" });
          assert.deepEqual(container.startupProbe!.grpc, { port, service: "liveness" });
        });

        it("pauses before SIGTERM and gives the drain time to finish", () => {
          const pause = Number(container.lifecycle!.preStop!.exec!.command![1]);
          assert.deepEqual(container.lifecycle!.preStop!.exec!.command, ["sleep", String(pause)]);
          const drainMs = Number(container.env!.find((e) => e.name === "DRAIN_TIMEOUT_MS")!.value);
          assert.ok(pod.terminationGracePeriodSeconds! > pause + drainMs / 1000, "grace period covers pause and drain");
        });

        it("requests resources, runs as non-root, and listens beyond localhost", () => {
          assert.ok(container.resources!.requests!.cpu && container.resources!.requests!.memory);
          assert.equal(pod.securityContext!.runAsNonRoot, true);
          assert.equal(container.env!.find((e) => e.name === `${service.toUpperCase()}_HOST`)!.value, "0.0.0.0");
          assert.equal(container.env!.find((e) => e.name === SERVICES[service].portEnv)!.value, String(port));
        });

        it("selects its own pods from the Service and the budget", () => {
          const labels = deployment.spec!.template.metadata!.labels!;
          const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
          assert.ok(matches(deployment.spec!.selector.matchLabels!));
          assert.ok(matches(of<Service>("Service").spec!.selector!));
          assert.deepEqual(of<Service>("Service").spec!.ports, [{ name: "rpc", port, targetPort: "rpc", appProtocol: "http" }]);
          const budget = of<PodDisruptionBudget>("PodDisruptionBudget");
          assert.ok(matches(budget.spec!.selector!.matchLabels!));
          assert.equal(budget.spec!.maxUnavailable, 1);
        });
      });
    }
  }

  it("jafflr finds chillybin by its Service name and port", () => {
    const [deployment] = renderManifests("jafflr", VERSION, readEnvironment("production") as KubernetesEnvironment) as [Deployment];
    const env = deployment.spec!.template.spec!.containers[0]!.env!;
    assert.equal(env.find((e) => e.name === "CHILLYBIN_URL")!.value, `http://chillybin:${SERVICES.chillybin.port}`);
  });

  it("npm run manifests -- <environment> prints both services at their versions", async function () {
    this.timeout(60_000);
    const run = runTs("scripts/delivery/manifests-cli.ts", {}, ["staging"]);
    assert.equal(await run.exited, 0, run.lines.join("\n"));
    const kinds = parseAllDocuments(run.lines.join("\n")).map((d) => {
      const o = d.toJS() as { kind: string; metadata: { name: string; labels: Record<string, string> } };
      return `${o.metadata.name} ${o.kind} ${/^[0-9a-f]{40}(-dirty)?$/.test(o.metadata.labels["app.kubernetes.io/version"]!)}`;
    });
    assert.deepEqual(
      kinds,
      SERVICE_NAMES.flatMap((s) => ["Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"].map((k) => `${s} ${k} true`)),
    );
  });

  it("refuses an environment that cannot roll out safely", () => {
    assert.throws(() => readEnvironment("nowhere"), /no environment "nowhere" in deploy\/environments\.json; there are: staging, production, local/);
  });
});
