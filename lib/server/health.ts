/** Checks whether a service can serve; throws (with a reason) when it cannot. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthReport {
  serving: boolean;
  /** Why not, when not serving. */
  reason?: string;
}

/**
 * Whether a server can serve right now: not while shutting down, and not
 * while any readiness check (say, a database ping) fails or takes too long.
 */
export class Health {
  private shuttingDown = false;

  constructor(
    private readonly checks: readonly ReadinessCheck[] = [],
    private readonly checkTimeoutMs = 2_000,
  ) {}

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async report(): Promise<HealthReport> {
    if (this.shuttingDown) return { serving: false, reason: "shutting down" };
    try {
      await Promise.all(this.checks.map((check) => withTimeout(check(), this.checkTimeoutMs)));
      return { serving: true };
    } catch (error) {
      return { serving: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
