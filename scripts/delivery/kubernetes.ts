// The Kubernetes objects for one service at one version: a Deployment that
// rolls without ever dropping below the desired replicas, probed over gRPC
// health; a Service; a PodDisruptionBudget; a HorizontalPodAutoscaler.
// Typed with kubernetes-types, so `tsc` checks the structure; rendered as YAML.
import type { Deployment } from "kubernetes-types/apps/v1.js";
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2.js";
import type { EnvVar, Service } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { stringify } from "yaml";
import type { KubernetesEnvironment } from "./environments.js";
import { SERVICES, type ServiceName } from "./services.js";

export type KubernetesObject = Deployment | Service | PodDisruptionBudget | HorizontalPodAutoscaler;

/** How long the service may take to drain (its DRAIN_TIMEOUT_MS). */
const DRAIN_SECONDS = 30;
/** How long a terminating pod keeps serving while endpoints and load balancers forget it. */
const PRE_STOP_SECONDS = 5;

const secret = (name: string, secretName: string, key: string, optional = false): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName, key, optional } },
});

/** Each service's own settings; the secrets are created by the operators, never rendered here. */
const SERVICE_ENV: Record<ServiceName, EnvVar[]> = {
  chillybin: [secret("DATABASE_URL", "chillybin-database", "url"), secret("CHILLYBIN_ADMIN_TOKEN", "chillybin-admin", "token", true)],
  jafflr: [{ name: "CHILLYBIN_URL", value: `http://chillybin:${SERVICES.chillybin.port}` }],
};

export function imageOf(service: ServiceName, version: string, environment: KubernetesEnvironment): string {
  return `${environment.registry}/${service}:${version}`;
}

export function renderManifests(service: ServiceName, version: string, environment: KubernetesEnvironment): KubernetesObject[] {
  const { port, portEnv } = SERVICES[service];
  const namespace = environment.namespace;
  const selector = { "app.kubernetes.io/name": service };
  const labels = { ...selector, "app.kubernetes.io/version": version, "app.kubernetes.io/part-of": "toasties-galore" };
  const metadata = { name: service, namespace, labels };

  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      // No `replicas`: the HorizontalPodAutoscaler owns the count, and applying
      // a fixed number on every deploy would scale a busy service down.
      selector: { matchLabels: selector },
      // New pods first, old ones only once a new one is ready: never below the desired count.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      minReadySeconds: 5,
      progressDeadlineSeconds: 180,
      revisionHistoryLimit: 5,
      template: {
        metadata: { labels, annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": "/metrics" } },
        spec: {
          // preStop pause + drain, with room to spare, before SIGKILL.
          terminationGracePeriodSeconds: PRE_STOP_SECONDS + DRAIN_SECONDS + 10,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: service,
              image: imageOf(service, version, environment),
              ports: [{ name: "rpc", containerPort: port }],
              env: [
                { name: `${service.toUpperCase()}_HOST`, value: "0.0.0.0" },
                { name: portEnv, value: String(port) },
                { name: "DRAIN_TIMEOUT_MS", value: String(DRAIN_SECONDS * 1000) },
                ...SERVICE_ENV[service],
              ],
              // Ready: the server as a whole (chillybin: its database answers).
              readinessProbe: { grpc: { port, service: "" }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
              // Alive: the process answers; an outage of its database is no reason to restart it.
              livenessProbe: { grpc: { port, service: "liveness" }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
              // Migrations run before the port opens: give start-up its own allowance.
              startupProbe: { grpc: { port, service: "liveness" }, periodSeconds: 2, failureThreshold: 60 },
              // Keep serving while the endpoint removal spreads, then SIGTERM starts the drain.
              lifecycle: { preStop: { exec: { command: ["sleep", String(PRE_STOP_SECONDS)] } } },
              resources: { requests: { cpu: "100m", memory: "192Mi" }, limits: { memory: "384Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
  const serviceObject: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    // One port for Connect, gRPC and gRPC-Web, HTTP/1.1 and h2c, REST and /metrics.
    spec: { selector, ports: [{ name: "rpc", port, targetPort: "rpc", appProtocol: "http" }] },
  };
  const budget: PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata,
    spec: { selector: { matchLabels: selector }, maxUnavailable: 1 },
  };
  const autoscaler: HorizontalPodAutoscaler = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service },
      minReplicas: environment.replicas.min,
      maxReplicas: environment.replicas.max,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    },
  };
  return [deployment, serviceObject, budget, autoscaler];
}

/** Multi-document YAML, as `kubectl apply -f -` takes it. */
export function toYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n");
}
