// Zero downtime, proven: two chillybin instances on one PostgreSQL behind
// HAProxy (Debian's package) with health checks, a steady load through it,
// and a rolling replacement of both instances the way Kubernetes does it
// (start the new one, wait until the balancer sees it healthy, SIGTERM the
// old). Not one request may fail, and the stock must match the picks that
// succeeded exactly.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CHILLYBIN_MIGRATIONS } from "../../services/chillybin/database.js";
import { freePort } from "../../scripts/support/ports.js";
import { commandRuns, listeningPort, runTs, type RunningProcess } from "../../scripts/support/processes.js";
import { createScratchDatabase, usingPostgresServer, type ScratchDatabase } from "../../scripts/support/scratch-database.js";

const STOCK = 1_000_000;
const WORKERS = 8;

/** HAProxy's runtime API: one command on the stats socket, its answer. */
function haproxyCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let out = "";
    conn.on("data", (chunk) => (out += chunk.toString()));
    conn.on("end", () => resolve(out));
    conn.on("error", reject);
    conn.end(`${command}\n`);
  });
}

/** Each server of the backend and its health as HAProxy sees it (UP, DOWN, …). */
async function serverStates(socket: string): Promise<Record<string, string>> {
  const [header, ...rows] = (await haproxyCommand(socket, "show stat")).trim().split("\n");
  const columns = header!.replace(/^# /, "").split(",");
  const [proxy, server, status] = ["pxname", "svname", "status"].map((c) => columns.indexOf(c));
  return Object.fromEntries(
    rows
      .map((r) => r.split(","))
      .filter((r) => r[proxy!] === "chillybin" && r[server!] !== "BACKEND")
      .map((r) => [r[server!], r[status!]!]),
  );
}

// Two instances need one database server: this runs in the DATABASE_URL pass
// (CI's second npm test), like the other tests that need one.
if (usingPostgresServer)
  describe("zero-downtime rolling deploy behind HAProxy", function () {
    this.timeout(180_000);
    let dir: string;
    let database: ScratchDatabase;
    let haproxy: ChildProcess | undefined;
    const instances: RunningProcess[] = [];

    before(async () => {
      if (!commandRuns("haproxy", ["-v"])) throw new Error("haproxy is not installed: apt-get install haproxy (as .ci/run does)");
      dir = mkdtempSync(path.join(tmpdir(), "rolling-"));
      database = await createScratchDatabase({ migrations: CHILLYBIN_MIGRATIONS });
      await database.db.updateTable("ingredients").set({ quantity: STOCK }).where("name", "=", "cheese").execute();
    });

    after(async () => {
      await Promise.all(instances.map((i) => i.stop("SIGKILL")));
      haproxy?.kill("SIGKILL");
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function startInstance(version: string, port: number): Promise<RunningProcess> {
      const instance = runTs("services/chillybin/main.ts", {
        ...database.env,
        CHILLYBIN_PORT: String(port),
        VERSION: version,
        DRAIN_TIMEOUT_MS: "10000",
        LOG_LEVEL: "info",
      });
      instances.push(instance);
      assert.equal(listeningPort(await instance.waitForLine(/"listening"/, 60_000)), port);
      return instance;
    }

    async function waitFor(socket: string, server: string, state: "UP" | "DOWN" | "MAINT"): Promise<void> {
      let seen: Record<string, string> = {};
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(50)) {
        seen = await serverStates(socket).catch(() => ({})); // HAProxy may still be starting
        if (seen[server]?.startsWith(state)) return;
      }
      throw new Error(`HAProxy never saw ${server} ${state}: ${JSON.stringify(seen)}`);
    }

    it("replaces both instances one by one under load: no failed request, stock equals the picks that succeeded", async () => {
      // Four slots: the old pair, and the new pair's ports (DOWN until something answers there).
      const ports = { old1: await freePort(), old2: await freePort(), new1: await freePort(), new2: await freePort() };
      const lbPort = await freePort();
      const socket = path.join(dir, "haproxy.sock");
      writeFileSync(
        path.join(dir, "haproxy.cfg"),
        [
          "global",
          `  stats socket ${socket} mode 600 level admin`,
          "defaults",
          "  mode http",
          "  timeout connect 2s",
          "  timeout client 30s",
          "  timeout server 30s",
          // A request is retried elsewhere only if the old instance never took it: it
          // stopped listening (refused), or closed a connection it had not read from.
          // An instance that read a request always answers it (it drains), so no pick runs twice.
          "  retries 3",
          "  option redispatch 1",
          "  retry-on conn-failure empty-response",
          "  option http-server-close",
          "frontend fe",
          `  bind 127.0.0.1:${lbPort}`,
          "  default_backend chillybin",
          "backend chillybin",
          "  balance roundrobin",
          "  option httpchk GET /health",
          "  http-check expect status 200",
          // A draining instance answers 503 at once and is DOWN after one check (fall 1); a live one
          // that answers late (a busy 2-core machine) is not DOWN for it: without this, a check's read
          // timeout is its 100 ms interval, and two instances slow at once left no server (seen in CI).
          "  timeout check 2s",
          "  default-server check inter 100ms fall 1 rise 2",
          ...Object.entries(ports).map(([name, port]) => `  server ${name} 127.0.0.1:${port}`),
          "",
        ].join("\n"),
      );
      const [old1, old2] = [await startInstance("v1", ports.old1), await startInstance("v1", ports.old2)];
      haproxy = spawn("haproxy", ["-f", path.join(dir, "haproxy.cfg"), "-db"], { stdio: "ignore" });
      await waitFor(socket, "old1", "UP");
      await waitFor(socket, "old2", "UP");

      // The steady load: WORKERS clients picking one cheese at a time, as fast as answers come.
      const outcome = { ok: 0, failed: [] as string[], versions: new Set<string>() };
      let loading = true;
      const worker = async () => {
        while (loading) {
          try {
            const res = await fetch(`http://127.0.0.1:${lbPort}/chillybin.v1.ChillybinService/Pick`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ name: "cheese", quantity: 1 }),
            });
            const text = await res.text();
            if (res.status === 200) {
              outcome.ok++;
              outcome.versions.add(res.headers.get("x-service-version") ?? "?");
            } else outcome.failed.push(`${res.status} ${text}`);
          } catch (error) {
            outcome.failed.push(String(error));
          }
        }
      };
      const load = Array.from({ length: WORKERS }, worker);
      await sleep(1_000);

      // The rolling update: for each old instance, start its replacement, wait until the
      // balancer routes to it, then SIGTERM the old one and wait for its clean exit.
      for (const [next, old, oldName] of [
        ["new1", old1, "old1"],
        ["new2", old2, "old2"],
      ] as const) {
        await startInstance("v2", ports[next]);
        await waitFor(socket, next, "UP");
        const okBefore = outcome.ok;
        assert.equal(await old.stop("SIGTERM"), 0, `${oldName} exits cleanly after draining`);
        await waitFor(socket, oldName, "DOWN");
        await sleep(500);
        assert.ok(outcome.ok > okBefore, "picks kept succeeding through the replacement");
      }
      await sleep(1_000);
      loading = false;
      await Promise.all(load);

      assert.deepEqual(outcome.failed.slice(0, 5), [], `${outcome.failed.length} failed requests`);
      assert.ok(outcome.ok > 200, `a steady load (${outcome.ok} picks)`);
      assert.deepEqual([...outcome.versions].sort(), ["v1", "v2"]);
      const { quantity } = await database.db.selectFrom("ingredients").select("quantity").where("name", "=", "cheese").executeTakeFirstOrThrow();
      assert.equal(STOCK - quantity, outcome.ok, "every pick answered OK took exactly one cheese, and no other did");
    });
  });
