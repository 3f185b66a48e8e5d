/** Checks whether something a service needs works; throws (with a reason) when it does not. */
export type HealthCheck = () => Promise<void>;

export interface CheckResult {
  serving: boolean;
  /** Why not, when not serving. */
  reason?: string;
}

export interface HealthReport extends CheckResult {
  /** What the service depends on but does not need to serve (reported, not gating). */
  dependencies: Record<string, CheckResult>;
}

export interface HealthOptions {
  /** Must all pass for the service to serve (say, its database answers). */
  readiness?: readonly HealthCheck[];
  /** Reported by name, without making the service NOT_SERVING (say, a service it calls). */
  dependencies?: Readonly<Record<string, HealthCheck>>;
  checkTimeoutMs?: number;
}

/**
 * Whether a server can serve right now: not while shutting down, and not
 * while any readiness check fails or takes too long. Dependencies are
 * reported beside it, so a probe can see them without one service's outage
 * taking the services that call it out of rotation too.
 */
export class Health {
  private shuttingDown = false;
  private readonly readiness: readonly HealthCheck[];
  private readonly dependencies: Readonly<Record<string, HealthCheck>>;
  private readonly checkTimeoutMs: number;

  constructor(options: HealthOptions = {}) {
    this.readiness = options.readiness ?? [];
    this.dependencies = options.dependencies ?? {};
    this.checkTimeoutMs = options.checkTimeoutMs ?? 2_000;
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The names of the dependencies reported. */
  get dependencyNames(): string[] {
    return Object.keys(this.dependencies);
  }

  async report(): Promise<HealthReport> {
    const [self, ...dependencies] = await Promise.all([
      this.shuttingDown
        ? Promise.resolve<CheckResult>({ serving: false, reason: "shutting down" })
        : this.run(() => Promise.all(this.readiness.map((c) => c())).then(() => {})),
      ...Object.values(this.dependencies).map((check) => this.run(check)),
    ]);
    return { ...self!, dependencies: Object.fromEntries(Object.keys(this.dependencies).map((name, i) => [name, dependencies[i]!])) };
  }

  /** One dependency's state (undefined for an unknown name). */
  async dependency(name: string): Promise<CheckResult | undefined> {
    const check = this.dependencies[name];
    return check && this.run(check);
  }

  private async run(check: HealthCheck): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`health check took longer than ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs);
    });
    try {
      await Promise.race([check(), timeout]);
      return { serving: true };
    } catch (error) {
      return { serving: false, reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
