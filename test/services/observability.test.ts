import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { ChillybinService } from "../../gen/chillybin/v1/chillybin_pb.js";
import { REQUEST_ID_HEADER } from "../../lib/request-id.js";
import { captureLogger } from "../support/capture-logger.js";
import { request } from "../support/http.js";
import { TEST_VERSION, useServices, type TestChillybin, type TestJafflr } from "../support/services.js";
import { TRANSPORTS } from "../support/transports.js";

describe("observability: request ids, logs and metrics", () => {
  const chillybinLog = captureLogger();
  const jafflrLog = captureLogger();
  const services = useServices({ chillybinLogger: chillybinLog.logger, jafflrLogger: jafflrLog.logger });
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  before(() => ({ chillybin, jafflr } = services));

  describe("request ids", () => {
    const table: Array<{ case: string; sent?: string; kept: boolean }> = [
      { case: "the caller's id is kept and echoed", sent: "toastie-42", kept: true },
      { case: "a missing id is made", kept: false },
      { case: "an unreasonable id is replaced", sent: "bad id with spaces", kept: false },
    ];
    for (const t of table) {
      it(t.case, async () => {
        const res = await request(chillybin.server.url, "GET", "/", { headers: t.sent ? { [REQUEST_ID_HEADER]: t.sent } : {} });
        const id = res.headers[REQUEST_ID_HEADER] as string;
        if (t.kept) assert.equal(id, t.sent);
        else assert.match(id, /^[0-9a-f-]{36}$/);
        assert.ok(chillybinLog.lines.some((l) => l.requestId === id && l.msg === "request"));
      });
    }

    it("one toastie can be followed across jafflr and chillybin", async () => {
      const res = await request(jafflr.server.url, "GET", "/toastie?i=cheese&i=vegemite", { headers: { [REQUEST_ID_HEADER]: "follow-me-1" } });
      assert.equal(res.status, 200);
      const jafflrLines = jafflrLog.lines.filter((l) => l.requestId === "follow-me-1");
      const chillybinLines = chillybinLog.lines.filter((l) => l.requestId === "follow-me-1");
      assert.deepEqual(
        jafflrLines.map((l) => [l.rpc, l.protocol, l.code]),
        [["jafflr.v1.JafflrService/MakeToastie", "rest", "ok"]],
      );
      // One order for the whole toastie (bread, cheese, vegemite).
      assert.deepEqual(
        chillybinLines.map((l) => [l.rpc, l.code]),
        [["chillybin.v2.ChillybinService/PickOrder", "ok"]],
      );
    });

    const refusedEarly: Array<{
      case: string;
      service: "chillybin" | "jafflr";
      method: string;
      path: string;
      headers?: Record<string, string>;
      rpc?: string;
      code: string;
    }> = [
      {
        case: "an unknown query parameter",
        service: "chillybin",
        method: "GET",
        path: "/pick?name=cheese&quantity=1&colour=blue",
        rpc: "chillybin.v1.ChillybinService/Pick",
        code: "invalid_argument",
      },
      {
        case: "a quantity out of range",
        service: "chillybin",
        method: "GET",
        path: "/pick?name=cheese&quantity=99999999999",
        rpc: "chillybin.v1.ChillybinService/Pick",
        code: "invalid_argument",
      },
      {
        case: "an unknown doneness",
        service: "jafflr",
        method: "GET",
        path: "/toastie?i=cheese&doneness=charred",
        rpc: "jafflr.v1.JafflrService/MakeToastie",
        code: "invalid_argument",
      },
      { case: "a path with no route", service: "chillybin", method: "GET", path: "/nowhere", code: "not_found" },
      {
        case: "a wrong method on an RPC path",
        service: "chillybin",
        method: "GET",
        path: "/chillybin.v1.ChillybinService/Pick",
        rpc: "chillybin.v1.ChillybinService/Pick",
        code: "unimplemented",
      },
      {
        case: "a gRPC call to a method nobody serves",
        service: "chillybin",
        method: "POST",
        path: "/nobody.v1.Nobody/Call",
        headers: { "content-type": "application/grpc-web+proto" },
        rpc: "nobody.v1.Nobody/Call",
        code: "unimplemented",
      },
    ];
    for (const t of refusedEarly) {
      it(`a refusal before any RPC ran is logged and counted with ${t.rpc ? "the RPC" : "the path"} and a code name: ${t.case}`, async () => {
        const id = `early-${refusedEarly.indexOf(t)}`;
        const target = services[t.service];
        const log = t.service === "chillybin" ? chillybinLog : jafflrLog;
        await request(target.server.url, t.method, t.path, { headers: { ...t.headers, [REQUEST_ID_HEADER]: id } });
        const line = log.lines.find((l) => l.requestId === id);
        assert.ok(line, "an access line");
        assert.deepEqual([line.rpc, line.code], [t.rpc, t.code]);
        const [service, method] = t.rpc?.split("/") ?? ["none", "none"];
        const metrics = (await request(target.server.url, "GET", "/metrics")).text;
        assert.match(
          metrics,
          new RegExp(
            `^rpc_requests_total\\{service="${service}",method="${method}",protocol="\\w[\\w-]*",code="${t.code}",version="${TEST_VERSION}"\\} \\d+$`,
            "m",
          ),
        );
      });
    }

    it("no metric label names a bare HTTP status as its code", async () => {
      const metrics = (await request(chillybin.server.url, "GET", "/metrics")).text;
      assert.doesNotMatch(metrics, /code="\d+"/);
    });

    it("each log line has the service, version, method, protocol, code and duration", async () => {
      await request(chillybin.server.url, "GET", "/pick?name=ham&quantity=1", { headers: { [REQUEST_ID_HEADER]: "log-line-1" } });
      const line = chillybinLog.lines.find((l) => l.requestId === "log-line-1")!;
      assert.equal(line.rpc, "chillybin.v1.ChillybinService/Pick");
      assert.equal(line.protocol, "rest");
      assert.equal(line.code, "not_found");
      assert.equal(line.status, 404);
      assert.equal(typeof line.durationMs, "number");
    });
  });

  describe("/metrics", () => {
    it("counts requests by service, method, protocol, code and version", async () => {
      await request(chillybin.server.url, "GET", "/pick?name=cheese&quantity=1");
      for (const transport of TRANSPORTS) {
        await createClient(ChillybinService, transport.make(chillybin.server.url))
          .pick({ name: "ham", quantity: 1 })
          .catch(() => {});
      }
      const text = (await request(chillybin.server.url, "GET", "/metrics")).text;
      const count = (labels: string) => Number(text.match(new RegExp(`^rpc_requests_total\\{${labels.replace(/[{}]/g, "\\$&")}\\} (\\d+)$`, "m"))?.[1] ?? NaN);
      const base = 'service="chillybin.v1.ChillybinService",method="Pick"';
      assert.ok(count(`${base},protocol="rest",code="ok",version="${TEST_VERSION}"`) >= 1);
      for (const protocol of ["connect", "grpc", "grpc-web"])
        assert.ok(count(`${base},protocol="${protocol}",code="not_found",version="${TEST_VERSION}"`) >= 1, protocol);
      assert.match(
        text,
        /^rpc_request_duration_seconds_bucket\{le="0.005",service="chillybin.v1.ChillybinService",method="Pick",protocol="rest",code="ok"\} \d+$/m,
      );
      assert.match(text, /^rpc_requests_in_flight 1$/m); // the scrape itself
      assert.match(text, /^process_cpu_user_seconds_total \d/m);
      assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    });

    it("reports chillybin's stock levels", async () => {
      await chillybin.setStock({ bread: 10, cheese: 3, vegemite: 0 });
      const text = (await request(chillybin.server.url, "GET", "/metrics")).text;
      assert.match(text, /^chillybin_stock\{ingredient="cheese"\} 3$/m);
      assert.match(text, /^chillybin_stock\{ingredient="vegemite"\} 0$/m);
      if (chillybin.database.location.kind === "postgres") assert.match(text, /^db_pool_connections\{state="max"\} 10$/m);
    });

    it("counts the statements v1 picks were sent in, and the picks they carried", async () => {
      await chillybin.setStock({ bread: 10, cheese: 100, vegemite: 10 });
      const read = async () => {
        const text = (await request(chillybin.server.url, "GET", "/metrics")).text;
        const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
        return { batches: value("chillybin_pick_batches_total"), picks: value("chillybin_batched_picks_total") };
      };
      const before = await read();
      const client = createClient(ChillybinService, TRANSPORTS[1]!.make(chillybin.server.url));
      await Promise.all(Array.from({ length: 40 }, () => client.pick({ name: "cheese", quantity: 1 })));
      const after = await read();
      assert.equal(after.picks - before.picks, 40);
      const batches = after.batches - before.batches;
      assert.ok(batches >= 1 && batches <= 40, `${batches} statements for 40 picks`);
    });

    it("reports the toasties cooking in jafflr, and whether chillybin answers it (what the alerts read)", async () => {
      const text = (await request(jafflr.server.url, "GET", "/metrics")).text;
      assert.match(text, /^jafflr_toasties_cooking 0$/m);
      assert.match(text, /^jafflr_chillybin_circuit_state 0$/m, "the circuit to chillybin is closed");
      assert.match(text, /^health_dependency_up\{dependency="chillybin"\} 1$/m);
    });
  });
});
