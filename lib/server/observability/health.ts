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

const SHUTTING_DOWN: CheckResult = { serving: false, reason: "shutting down" };

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
  /** The checks running now, which every report asked for meanwhile shares. */
  private checking: Promise<HealthReport> | undefined;

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

  /**
   * Whether it serves, and each dependency. Reports asked for while the checks
   * run share them: each may cost (chillybin pings its database, jafflr asks
   * chillybin), and probes, scrapes and health watchers arriving together
   * must not take the database's connections from the calls.
   */
  async report(): Promise<HealthReport> {
    this.checking ??= this.runChecks().finally(() => {
      this.checking = undefined;
    });
    const checked = await this.checking;
    // Shutting down answers at once, even to a report that shares checks begun before it.
    return this.shuttingDown ? { ...SHUTTING_DOWN, dependencies: checked.dependencies } : checked;
  }

  private async runChecks(): Promise<HealthReport> {
    const [self, ...dependencies] = await Promise.all([
      this.shuttingDown ? Promise.resolve<CheckResult>(SHUTTING_DOWN) : this.run(() => Promise.all(this.readiness.map((c) => c())).then(() => {})),
      ...Object.values(this.dependencies).map((check) => this.run(check)),
    ]);
    return { ...self!, dependencies: Object.fromEntries(Object.keys(this.dependencies).map((name, i) => [name, dependencies[i]!])) };
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
