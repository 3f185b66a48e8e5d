import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import type { Kysely } from "kysely";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as Status,
  HealthCheckResponseSchema,
} from "../../../../gen/grpc/health/v1/health_pb.js";
import { migrateToLatest, openDatabase } from "../../../../lib/db/index.js";
import { grpcHealthRoutes } from "../../../../lib/server/endpoints/grpc-health.js";
import { Health as HealthState } from "../../../../lib/server/observability/health.js";
import { silentLogger } from "../../../../lib/logger.js";
import { startChillybinServer } from "../../../../services/chillybin/chillybin-server.js";
import { CHILLYBIN_MIGRATIONS, type ChillybinDatabase } from "../../../../services/chillybin/database.js";
import { request } from "../../../support/http.js";
import { startChillybin, startJafflr, TEST_VERSION, type TestChillybin } from "../../../support/services.js";
import { TcpProxy } from "../../../support/tcp-proxy.js";
import { createScratchDatabase, usingPostgresServer } from "../../../../scripts/support/scratch-database.js";
import { grpcJsUnary, TRANSPORTS } from "../../../support/transports.js";

describe("grpc.health.v1.Health", () => {
  let chillybin: TestChillybin;
  before(async () => (chillybin = await startChillybin()));
  after(() => chillybin?.stop());

  const checks: Array<{ service: string; status?: Status; code?: Code }> = [
    { service: "", status: Status.SERVING },
    { service: "chillybin.v1.ChillybinService", status: Status.SERVING },
    { service: "chillybin.v2.ChillybinService", status: Status.SERVING },
    { service: "liveness", status: Status.SERVING },
    { service: "toaster.v1.Nope", code: Code.NotFound },
  ];
  for (const c of checks) {
    it(`Check(${JSON.stringify(c.service)}) → ${c.status !== undefined ? Status[c.status] : Code[c.code!]}`, async () => {
      const health = createClient(Health, TRANSPORTS[2]!.make(chillybin.server.url));
      if (c.status !== undefined) assert.equal((await health.check({ service: c.service })).status, c.status);
      else await assert.rejects(health.check({ service: c.service }), (e: unknown) => ConnectError.from(e).code === c.code);
    });
  }

  it("answers @grpc/grpc-js (what Kubernetes' gRPC probe speaks)", async () => {
    const res = await grpcJsUnary(
      new URL(chillybin.server.url).host,
      Health,
      "Check",
      HealthCheckRequestSchema,
      HealthCheckResponseSchema,
      create(HealthCheckRequestSchema),
    );
    assert.equal(res.status, Status.SERVING);
  });

  it("Watch streams the current status, then changes: NOT_SERVING when shutting down", async () => {
    const own = await startChillybin();
    const health = createClient(Health, TRANSPORTS[2]!.make(own.server.url));
    const seen: Status[] = [];
    try {
      for await (const res of health.watch({ service: "" })) {
        seen.push(res.status);
        if (seen.length === 1) own.server.health.markShuttingDown();
      }
      // Draining is not dying: liveness stays SERVING until the process exits.
      assert.equal((await health.check({ service: "liveness" })).status, Status.SERVING);
    } finally {
      await own.stop();
    }
    assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
  });

  // A client that enforces no deadline of its own (raw HTTP/2, grpc-timeout only) reads how the server ended the stream.
  it("Watch ended by its deadline says DEADLINE_EXCEEDED, not OK", async () => {
    const session = http2.connect(chillybin.server.url);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Watch",
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "300m",
      });
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("trailers", resolve));
      let messages = 0;
      stream.on("data", () => messages++);
      stream.end(encodeEnvelope(0, toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema))));
      const status = await trailers;
      assert.equal(status["grpc-status"], String(Code.DeadlineExceeded), String(status["grpc-message"]));
      assert.ok(messages > 0, "it watched before its deadline");
    } finally {
      session.close();
    }
  });

  it("watchers share one look at the health a second, however many watch", async () => {
    let pings = 0;
    const health = new HealthState({
      readiness: [
        async () => {
          pings++;
        },
      ],
    });
    const client = createClient(Health, createRouterTransport(grpcHealthRoutes(health, () => ["x.v1.Svc"])));
    const controller = new AbortController();
    const started = performance.now();
    const firsts: Array<Promise<Status>> = [];
    const watching: Array<Promise<unknown>> = [];
    // 50 watchers arriving over a second, so that no two look at the same moment of their own accord.
    for (let i = 0; i < 50; i++) {
      const stream = client.watch({ service: i % 2 ? "" : "x.v1.Svc" }, { signal: controller.signal })[Symbol.asyncIterator]();
      firsts.push(stream.next().then((r) => r.value!.status));
      watching.push(
        (async () => {
          while (!(await stream.next()).done);
        })().catch(() => {}),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    controller.abort();
    await Promise.all(watching);
    assert.deepEqual([...new Set(await Promise.all(firsts))], [Status.SERVING]);
    // A look a second between them (3 or 4 in the ~2.5 s), where each watcher's own would be ~125; bounded by the
    // time it really took, so that a slow machine stretching the test does not fail it.
    const seconds = (performance.now() - started) / 1000;
    assert.ok(pings >= 2 && pings <= Math.ceil(seconds) + 1, `${pings} looks in ${seconds.toFixed(1)} s`);
  });

  it("Watch of an unknown service answers SERVICE_UNKNOWN", async () => {
    const health = createClient(Health, TRANSPORTS[2]!.make(chillybin.server.url));
    const controller = new AbortController();
    const stream = health.watch({ service: "toaster.v1.Nope" }, { signal: controller.signal })[Symbol.asyncIterator]();
    const first = await stream.next();
    controller.abort(); // a watch runs until the watcher leaves
    assert.equal(first.value?.status, Status.SERVICE_UNKNOWN);
  });

  describe("jafflr reports its dependency on chillybin", () => {
    it('Check("chillybin") follows chillybin, and jafflr itself stays SERVING', async () => {
      const own = await startChillybin();
      const jafflr = await startJafflr({ chillybinUrl: own.server.url });
      const health = createClient(Health, TRANSPORTS[2]!.make(jafflr.server.url));
      try {
        assert.equal((await health.check({ service: "chillybin" })).status, Status.SERVING);
        own.server.health.markShuttingDown();
        assert.equal((await health.check({ service: "chillybin" })).status, Status.NOT_SERVING);
        assert.equal((await health.check({ service: "" })).status, Status.SERVING);
        const rest = await request(jafflr.server.url, "GET", "/health");
        assert.equal(rest.status, 200);
        assert.deepEqual(rest.json, {
          status: "SERVING",
          version: TEST_VERSION,
          dependencies: { chillybin: { status: "NOT_SERVING", reason: "chillybin reports NOT_SERVING" } },
        });
        await own.stop();
        const gone = (await request(jafflr.server.url, "GET", "/health")).json as { dependencies: { chillybin: { status: string; reason: string } } };
        assert.equal(gone.dependencies.chillybin.status, "NOT_SERVING");
        assert.match(gone.dependencies.chillybin.reason, /unavailable|ECONNREFUSED|connect/i);
      } finally {
        await jafflr.stop();
        await own.stop();
      }
    });
  });

  // A PostgreSQL server behind a proxy the test can cut: needs the suite's
  // DATABASE_URL pass (CI runs both); the embedded database cannot go away.
  if (usingPostgresServer) {
    it("chillybin is NOT_SERVING while its database is unreachable, SERVING again when it is back, without a restart", async function () {
      this.timeout(30_000);
      const database = await createScratchDatabase();
      const url = new URL(database.env.DATABASE_URL!);
      const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      await proxy.start();
      url.hostname = "127.0.0.1";
      url.port = String(proxy.port);
      const db: Kysely<ChillybinDatabase> = openDatabase({ kind: "postgres", url: url.toString() });
      await migrateToLatest(db, CHILLYBIN_MIGRATIONS);
      const server = await startChillybinServer({ db, port: 0, version: TEST_VERSION, logger: silentLogger() });
      const health = createClient(Health, TRANSPORTS[2]!.make(server.url));
      try {
        assert.equal((await health.check({ service: "" })).status, Status.SERVING);
        proxy.cut();
        assert.equal((await health.check({ service: "" })).status, Status.NOT_SERVING);
        // Not ready, but alive: Kubernetes must not restart it for its database's outage.
        assert.equal((await health.check({ service: "liveness" })).status, Status.SERVING);
        const rest = await request(server.url, "GET", "/health");
        assert.equal(rest.status, 503);
        assert.match((rest.json as { reason: string }).reason, /database unreachable/);
        await proxy.restore();
        let status = Status.NOT_SERVING;
        for (let i = 0; i < 50 && status !== Status.SERVING; i++) {
          status = (await health.check({ service: "" })).status;
          if (status !== Status.SERVING) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, Status.SERVING);
        assert.equal((await request(server.url, "GET", "/health")).status, 200);
      } finally {
        await server.close();
        await db.destroy();
        await proxy.stop();
        await database.drop();
      }
    });
  }
});
