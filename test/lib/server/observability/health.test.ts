// Whether a server can serve: readiness gates it, dependencies are reported
// beside it, a slow check counts as failing, and shutting down ends serving.
import assert from "node:assert/strict";
import { Health, type HealthCheck } from "../../../../lib/server/observability/health.js";

const ok: HealthCheck = async () => {};
const failing =
  (reason: string): HealthCheck =>
  async () => {
    throw new Error(reason);
  };
const hanging: HealthCheck = () => new Promise(() => {});

describe("Health", () => {
  const table: Array<{
    case: string;
    readiness?: HealthCheck[];
    dependencies?: Record<string, HealthCheck>;
    serving: boolean;
    reason?: string;
    deps?: Record<string, boolean>;
  }> = [
    { case: "no checks", serving: true },
    { case: "every readiness check passes", readiness: [ok, ok], serving: true },
    { case: "one readiness check fails", readiness: [ok, failing("database unreachable")], serving: false, reason: "database unreachable" },
    { case: "a readiness check takes too long", readiness: [hanging], serving: false, reason: "health check took longer than 50 ms" },
    {
      case: "a failing dependency is reported, and does not stop serving",
      dependencies: { chillybin: failing("connection refused"), other: ok },
      serving: true,
      deps: { chillybin: false, other: true },
    },
  ];
  for (const t of table) {
    it(t.case, async () => {
      const health = new Health({ readiness: t.readiness, dependencies: t.dependencies, checkTimeoutMs: 50 });
      const report = await health.report();
      assert.equal(report.serving, t.serving);
      assert.equal(report.reason, t.reason);
      assert.deepEqual(Object.fromEntries(Object.entries(report.dependencies).map(([name, r]) => [name, r.serving])), t.deps ?? {});
    });
  }

  it("shutting down: not serving, whatever the checks say, and without running them", async () => {
    let ran = 0;
    const health = new Health({
      readiness: [
        async () => {
          ran++;
        },
      ],
    });
    health.markShuttingDown();
    assert.deepEqual(await health.report(), { serving: false, reason: "shutting down", dependencies: {} });
    assert.equal(ran, 0);
    assert.equal(health.isShuttingDown, true);
  });

  it("reports asked for while the checks run share them; the next runs them afresh", async () => {
    let pings = 0;
    let asked = 0;
    const slowPing: HealthCheck = async () => {
      pings++;
      await new Promise((resolve) => setTimeout(resolve, 30));
    };
    const health = new Health({ readiness: [slowPing], dependencies: { chillybin: async () => void asked++ } });
    const reports = await Promise.all(Array.from({ length: 20 }, () => health.report()));
    assert.deepEqual([pings, asked], [1, 1], "20 reports at once: the checks ran once");
    for (const report of reports) assert.deepEqual(report, { serving: true, dependencies: { chillybin: { serving: true } } });
    await health.report();
    assert.deepEqual([pings, asked], [2, 2]);
  });

  it("no report answered after shutting down began says serving, though its checks began before", async () => {
    const health = new Health({ readiness: [() => new Promise((resolve) => setTimeout(resolve, 30))] });
    const before = health.report();
    health.markShuttingDown();
    const during = health.report();
    for (const report of [await before, await during]) assert.deepEqual(report, { serving: false, reason: "shutting down", dependencies: {} });
  });

  it("the names of the dependencies reported", () => {
    assert.deepEqual(new Health({ dependencies: { chillybin: ok } }).dependencyNames, ["chillybin"]);
    assert.deepEqual(new Health().dependencyNames, []);
  });
});
