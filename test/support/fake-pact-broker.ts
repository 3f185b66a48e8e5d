// A test double of the Pact Broker's HTTP API: just enough of it, in memory,
// for the official clients (the pact CLI's `pact broker …` commands and the
// Pact verifier) to publish pacts, fetch them by consumer version selectors,
// publish verification results, record deployments and ask can-i-deploy.
// It stands in for a broker in tests; it is not a broker. The real one
// computes a far richer matrix (tags, pending and WIP pacts, releases…).
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

interface Version {
  pacticipant: string;
  number: string;
  branch?: string;
}
interface Pact {
  consumer: string;
  consumerVersion: string;
  provider: string;
  sha: string;
  content: Record<string, unknown>;
}
interface Verification {
  provider: string;
  providerVersion: string;
  consumer: string;
  sha: string;
  success: boolean;
}
interface Deployment {
  pacticipant: string;
  version: string;
  environment: string;
}
interface Selector {
  mainBranch?: boolean;
  branch?: string;
  matchingBranch?: boolean;
  deployedOrReleased?: boolean;
  deployed?: boolean;
  environment?: string;
  consumer?: string;
}

const MAIN_BRANCH = "main";

export class FakePactBroker {
  readonly versions: Version[] = [];
  readonly pacts: Pact[] = [];
  readonly verifications: Verification[] = [];
  readonly deployments: Deployment[] = [];
  readonly environments = new Map<string, string>(); // uuid → name
  /** Every request, "METHOD path", for assertions and debugging. */
  readonly requests: string[] = [];
  private server?: http.Server;
  url = "";

  constructor(private readonly token?: string) {
    this.environments.set("e1", "test");
    this.environments.set("e2", "production");
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/hal+json" });
      res.end(JSON.stringify(body));
    };
    if (this.token && req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: "unauthorized" });
    let text = "";
    for await (const chunk of req) text += String(chunk);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const route = `${req.method} ${url.pathname}`;
    // Each route: the method and path pattern, and what it answers with the path's parts (decoded).
    const routes: Array<[RegExp, (p: string[]) => void]> = [
      [/^GET \/$/, () => send(200, this.index())],
      [/^POST \/contracts\/publish$/, () => send(200, this.publish(body))],
      // The verifier GETs the templated link first, then POSTs its selectors to the resource.
      [/^GET \/pacts\/provider\/([^/]+)\/for-verification$/, () => send(200, { _links: { self: { href: `${this.url}${url.pathname}` } } })],
      [/^POST \/pacts\/provider\/([^/]+)\/for-verification$/, ([provider]) => send(200, this.forVerification(provider!, body))],
      [/^GET \/pacts\/provider\/([^/]+)\/consumer\/([^/]+)\/pact-version\/([^/]+)$/, ([, , version]) => send(200, this.pact(version!))],
      [
        /^POST \/pacts\/provider\/([^/]+)\/consumer\/([^/]+)\/pact-version\/([^/]+)\/verification-results$/,
        ([provider, consumer, version]) => send(201, this.verified(provider!, consumer!, version!, body)),
      ],
      [
        /^PUT \/pacticipants\/([^/]+)\/branches\/([^/]+)\/versions\/([^/]+)$/,
        ([pacticipant, branch, version]) => {
          this.version(pacticipant!, version!, branch!);
          send(200, {});
        },
      ],
      [/^GET \/pacticipants\/([^/]+)$/, ([pacticipant]) => send(200, this.pacticipant(pacticipant!))],
      [/^GET \/environments$/, () => send(200, this.environmentList())],
      [/^GET \/pacticipants\/([^/]+)\/versions\/([^/]+)$/, ([pacticipant, version]) => send(200, this.versionResource(pacticipant!, version!))],
      [
        /^POST \/pacticipants\/([^/]+)\/versions\/([^/]+)\/deployed-versions\/environment\/([^/]+)$/,
        ([pacticipant, version, environment]) => send(201, this.recordDeployment(pacticipant!, version!, environment!)),
      ],
      [/^GET \/matrix$/, () => send(200, this.matrix(url.searchParams))],
    ];
    try {
      for (const [pattern, answer] of routes) {
        const match = pattern.exec(route);
        if (match) return answer(match.slice(1).map((part) => decodeURIComponent(part)));
      }
      send(404, { error: `the fake broker has no route for ${route}` });
    } catch (error) {
      send(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private index() {
    const link = (path: string, templated = false) => ({ href: `${this.url}${path}`, ...(templated ? { templated: true } : {}) });
    return {
      _links: {
        self: link("/"),
        "pb:publish-contracts": link("/contracts/publish"),
        "pb:provider-pacts-for-verification": link("/pacts/provider/{provider}/for-verification", true),
        "pb:environments": link("/environments"),
        "pb:pacticipant-version": link("/pacticipants/{pacticipant}/versions/{version}", true),
        "pb:pacticipant-branch-version": link("/pacticipants/{pacticipant}/branches/{branch}/versions/{version}", true),
      },
    };
  }

  private version(pacticipant: string, number: string, branch?: string): Version {
    let version = this.versions.find((v) => v.pacticipant === pacticipant && v.number === number);
    if (!version) {
      version = { pacticipant, number };
      this.versions.push(version);
    }
    if (branch) version.branch = branch;
    return version;
  }

  private publish(body: Record<string, unknown>) {
    const consumer = String(body.pacticipantName);
    const number = String(body.pacticipantVersionNumber);
    this.version(consumer, number, body.branch as string | undefined);
    const contracts = body.contracts as Array<{ consumerName: string; providerName: string; content: string }>;
    for (const contract of contracts) {
      const text = Buffer.from(contract.content, "base64").toString("utf8");
      const content = JSON.parse(text) as Record<string, unknown>;
      const sha = createHash("sha1").update(JSON.stringify(content.interactions)).digest("hex");
      this.pacts.push({ consumer: contract.consumerName, consumerVersion: number, provider: contract.providerName, sha, content });
    }
    const versionHref = `${this.url}/pacticipants/${consumer}/versions/${number}`;
    return {
      _embedded: {
        pacticipant: { name: consumer, _links: { self: { href: `${this.url}/pacticipants/${consumer}` } } },
        version: { number, _links: { self: { href: versionHref, name: number, title: "Version" } } },
      },
      _links: {
        "pb:contracts": contracts.map((c) => ({
          href: `${this.url}/pacts/provider/${c.providerName}/consumer/${c.consumerName}/version/${number}`,
          name: "pact",
          title: "Pact",
        })),
        "pb:pacticipant": { href: `${this.url}/pacticipants/${consumer}`, name: consumer, title: "Pacticipant" },
        "pb:pacticipant-version": { href: versionHref, name: number, title: "Version" },
        "pb:pacticipant-version-tags": [],
      },
      logs: [{ level: "info", message: `Published pact for ${consumer} version ${number}`, deprecationWarning: "" }],
      notices: [{ type: "success", text: `Published pact for ${consumer} version ${number}` }],
    };
  }

  private deployedVersions(pacticipant: string, environment?: string): string[] {
    return this.deployments.filter((d) => d.pacticipant === pacticipant && (!environment || d.environment === environment)).map((d) => d.version);
  }

  /** The consumer versions a selector picks (mainBranch and branch: the latest on that branch). */
  private select(provider: string, selector: Selector, providerBranch?: string): Pact[] {
    const ofProvider = this.pacts.filter((p) => p.provider === provider && (!selector.consumer || p.consumer === selector.consumer));
    const branchOf = (p: Pact) => this.versions.find((v) => v.pacticipant === p.consumer && v.number === p.consumerVersion)?.branch;
    const latestOn = (branch: string | undefined) => {
      const onBranch = ofProvider.filter((p) => branch !== undefined && branchOf(p) === branch);
      const latest = new Map<string, Pact>();
      for (const p of onBranch) latest.set(p.consumer, p);
      return [...latest.values()];
    };
    if (selector.mainBranch) return latestOn(MAIN_BRANCH);
    if (selector.branch) return latestOn(selector.branch);
    if (selector.matchingBranch) return latestOn(providerBranch);
    if (selector.deployedOrReleased || selector.deployed || selector.environment) {
      return ofProvider.filter((p) => this.deployedVersions(p.consumer, selector.environment).includes(p.consumerVersion));
    }
    return [];
  }

  private forVerification(provider: string, body: Record<string, unknown>) {
    const selectors = (body.consumerVersionSelectors as Selector[] | undefined) ?? [{ mainBranch: true }];
    const bySha = new Map<string, Pact>();
    for (const selector of selectors)
      for (const pact of this.select(provider, selector, body.providerVersionBranch as string | undefined)) bySha.set(pact.sha, pact);
    return {
      _embedded: {
        pacts: [...bySha.values()].map((p) => ({
          shortDescription: `latest pact of ${p.consumer} version ${p.consumerVersion}`,
          verificationProperties: {
            pending: false,
            notices: [{ when: "before_verification", text: `The pact of ${p.consumer} version ${p.consumerVersion} is being verified` }],
          },
          _links: {
            self: {
              href: `${this.url}/pacts/provider/${p.provider}/consumer/${p.consumer}/pact-version/${p.sha}`,
              name: `Pact between ${p.consumer} (${p.consumerVersion}) and ${p.provider}`,
            },
          },
        })),
      },
    };
  }

  private pact(sha: string) {
    const pact = this.pacts.find((p) => p.sha === sha);
    if (!pact) throw new Error(`no pact ${sha}`);
    const base = `${this.url}/pacts/provider/${pact.provider}/consumer/${pact.consumer}/pact-version/${sha}`;
    return {
      ...pact.content,
      _links: {
        self: { href: base },
        "pb:provider": { href: `${this.url}/pacticipants/${pact.provider}`, name: pact.provider },
        "pb:publish-verification-results": { href: `${base}/verification-results`, title: "Publish verification results" },
      },
    };
  }

  private verified(provider: string, consumer: string, sha: string, body: Record<string, unknown>) {
    const providerVersion = String(body.providerApplicationVersion);
    this.version(provider, providerVersion);
    this.verifications.push({ provider, providerVersion, consumer, sha, success: body.success === true });
    return {
      success: body.success,
      providerApplicationVersion: providerVersion,
      _links: { self: { href: `${this.url}/verification-results/${this.verifications.length}` } },
    };
  }

  private pacticipant(name: string) {
    return {
      name,
      _links: {
        self: { href: `${this.url}/pacticipants/${name}` },
        "pb:branch-version": { href: `${this.url}/pacticipants/${name}/branches/{branch}/versions/{version}`, templated: true },
      },
    };
  }

  private environmentList() {
    return {
      _embedded: {
        environments: [...this.environments].map(([uuid, name]) => ({
          uuid,
          name,
          displayName: name,
          production: name === "production",
          _links: { self: { href: `${this.url}/environments/${uuid}` } },
        })),
      },
    };
  }

  private versionResource(pacticipant: string, number: string) {
    const version = this.versions.find((v) => v.pacticipant === pacticipant && v.number === number);
    if (!version) throw new Error(`${pacticipant} has no version ${number}`);
    return {
      number,
      ...(version.branch ? { branch: version.branch } : {}),
      _links: {
        self: { href: `${this.url}/pacticipants/${pacticipant}/versions/${number}` },
        "pb:record-deployment": [...this.environments].map(([uuid, name]) => ({
          name,
          title: `Record deployment to ${name}`,
          href: `${this.url}/pacticipants/${pacticipant}/versions/${number}/deployed-versions/environment/${uuid}`,
        })),
      },
    };
  }

  private recordDeployment(pacticipant: string, number: string, environmentUuid: string) {
    const environment = this.environments.get(environmentUuid);
    if (!environment) throw new Error(`no environment ${environmentUuid}`);
    // A new deployment replaces the version deployed before it (one application instance).
    for (let i = this.deployments.length - 1; i >= 0; i--) {
      if (this.deployments[i]!.pacticipant === pacticipant && this.deployments[i]!.environment === environment) this.deployments.splice(i, 1);
    }
    this.deployments.push({ pacticipant, version: number, environment });
    return { currentlyDeployed: true, _embedded: { version: { number }, environment: { name: environment } } };
  }

  /**
   * can-i-deploy: the pacticipant version against every partner version
   * deployed in the environment. A consumer needs each deployed provider to
   * have verified its pact successfully (and a deployed provider to exist); a
   * provider must have verified the pact of each deployed consumer.
   */
  private matrix(query: URLSearchParams) {
    const pacticipant = query.get("q[][pacticipant]") ?? "";
    const version = query.get("q[][version]") ?? "";
    const environment = query.get("environment") ?? undefined;
    const rows: Array<{ consumer: string; consumerVersion: string; provider: string; providerVersion?: string; success?: boolean }> = [];
    const problems: string[] = [];
    const verdict = (consumer: string, consumerVersion: string, provider: string, providerVersion: string) => {
      const pact = this.pacts.find((p) => p.consumer === consumer && p.consumerVersion === consumerVersion && p.provider === provider);
      if (!pact) return undefined;
      const results = this.verifications.filter((v) => v.sha === pact.sha && v.provider === provider && v.providerVersion === providerVersion);
      return results.length ? results[results.length - 1]!.success : undefined;
    };
    for (const pact of this.pacts.filter((p) => p.consumer === pacticipant && p.consumerVersion === version)) {
      const deployed = this.deployedVersions(pact.provider, environment);
      if (deployed.length === 0) problems.push(`There is no version of ${pact.provider} deployed to ${environment}`);
      for (const providerVersion of deployed)
        rows.push({
          consumer: pacticipant,
          consumerVersion: version,
          provider: pact.provider,
          providerVersion,
          success: verdict(pacticipant, version, pact.provider, providerVersion),
        });
    }
    const consumers = new Set(this.pacts.filter((p) => p.provider === pacticipant).map((p) => p.consumer));
    for (const consumer of consumers) {
      for (const consumerVersion of this.deployedVersions(consumer, environment)) {
        rows.push({
          consumer,
          consumerVersion,
          provider: pacticipant,
          providerVersion: version,
          success: verdict(consumer, consumerVersion, pacticipant, version),
        });
      }
    }
    for (const r of rows) {
      if (r.success === undefined) problems.push(`There is no verified pact between ${r.consumer} ${r.consumerVersion} and ${r.provider} ${r.providerVersion}`);
      else if (!r.success) problems.push(`The verification between ${r.consumer} ${r.consumerVersion} and ${r.provider} ${r.providerVersion} failed`);
    }
    const deployable = problems.length === 0;
    const reason = deployable ? "All required verification results are published and successful" : problems.join("; ");
    return {
      summary: {
        deployable,
        reason,
        success: rows.filter((r) => r.success).length,
        failed: rows.filter((r) => r.success === false).length,
        unknown: rows.filter((r) => r.success === undefined).length,
      },
      notices: [
        {
          type: deployable ? "success" : "failure",
          text: `Computer says ${deployable ? "yes" : "no"} \\o/ ${reason}`.replace(" \\o/ ", deployable ? " \\o/ " : " ¯\\_(ツ)_/¯ "),
        },
      ],
      matrix: rows.map((r) => ({
        consumer: { name: r.consumer, version: { number: r.consumerVersion } },
        provider: { name: r.provider, version: r.providerVersion ? { number: r.providerVersion } : null },
        verificationResult: r.success === undefined ? null : { success: r.success, _links: { self: { href: `${this.url}/verification-results` } } },
      })),
    };
  }
}
