// The Grafana dashboard (ops/grafana/toasties-galore.json), proven against
// real Prometheus (Debian's package, as CI installs it): Prometheus scrapes
// both services while they serve some traffic, and every panel's query is
// evaluated through its HTTP API. A query that errors, or answers nothing,
// fails; so does a panel that is not wired to the Prometheus data source.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { freePort } from "../../scripts/support/ports.js";
import { commandRuns } from "../../scripts/support/processes.js";
import { usingPostgresServer } from "../../scripts/support/scratch-database.js";
import { request } from "../support/http.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../support/services.js";
import { TRANSPORTS } from "../support/transports.js";

interface Panel {
  title: string;
  datasource: { type: string; uid: string };
  targets: Array<{ refId: string; expr: string; datasource: { type: string } }>;
}
const DASHBOARD = JSON.parse(readFileSync("ops/grafana/toasties-galore.json", "utf8")) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
};

/** How a Grafana panel names the dashboard's data source variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own placeholder syntax, not a JavaScript template.
const GRAFANA_DATASOURCE_VARIABLE = "${datasource}";

/** Grafana's rate window for a 2 s scrape interval is at least four scrapes; a minute is plenty. */
const RATE_INTERVAL = "1m";

describe("the Grafana dashboard (ops/grafana)", () => {
  it("every panel reads the Prometheus data source variable and has at least one query", () => {
    assert.ok(DASHBOARD.templating.list.some((v) => v.name === "datasource" && v.type === "datasource"));
    assert.ok(DASHBOARD.panels.length >= 10);
    for (const panel of DASHBOARD.panels) {
      assert.deepEqual(panel.datasource, { type: "prometheus", uid: GRAFANA_DATASOURCE_VARIABLE }, panel.title);
      assert.ok(panel.targets.length > 0, panel.title);
      for (const t of panel.targets) assert.ok(t.expr.trim() && t.datasource.type === "prometheus", `${panel.title} ${t.refId}`);
    }
  });

  // The pool panel needs chillybin on a PostgreSQL server: this runs in the DATABASE_URL pass (CI's second).
  if (usingPostgresServer)
    describe("every query, against Prometheus scraping both services under traffic", function () {
      this.timeout(120_000);
      let dir: string;
      let prometheus: ChildProcess | undefined;
      let promUrl: string;
      let chillybin: TestChillybin;
      let jafflr: TestJafflr;

      before(async () => {
        if (!commandRuns("prometheus", ["--version"])) throw new Error("prometheus is not installed: apt-get install prometheus (as .ci/run does)");
        chillybin = await startChillybin();
        jafflr = await startJafflr({ chillybinUrl: chillybin.server.url });
        dir = mkdtempSync(path.join(tmpdir(), "prometheus-"));
        const port = await freePort();
        promUrl = `http://127.0.0.1:${port}`;
        const job = (name: string, url: string) => [`  - job_name: ${name}`, "    static_configs:", `      - targets: ["${new URL(url).host}"]`];
        writeFileSync(
          path.join(dir, "prometheus.yml"),
          // A scrape may take longer than a second on a busy machine: 2 s each, and as long to answer.
          [
            "global:",
            "  scrape_interval: 2s",
            "  scrape_timeout: 2s",
            "scrape_configs:",
            ...job("chillybin", chillybin.server.url),
            ...job("jafflr", jafflr.server.url),
            "",
          ].join("\n"),
        );
        prometheus = spawn(
          "prometheus",
          [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
          { stdio: "ignore" },
        );

        // Some of everything the panels show: toasties (orders), v1 picks, a refusal, several protocols.
        await chillybin.setStock({ bread: 1000, cheese: 1000, vegemite: 1000 });
        const toasties = createClient(JafflrService, TRANSPORTS[2]!.make(jafflr.server.url));
        const orders = createClient(v2.ChillybinService, TRANSPORTS[0]!.make(chillybin.server.url));
        for (let round = 0; round < 5; round++) {
          await Promise.all([
            ...Array.from({ length: 4 }, () => toasties.makeToastie({ ingredients: ["cheese", "vegemite"] })),
            ...Array.from({ length: 4 }, () => request(chillybin.server.url, "GET", "/pick?name=cheese&quantity=1")),
            orders.pick({ ingredient: "ham", quantity: 1, customer: "gita" }).catch(() => "not_found, as meant"),
            request(jafflr.server.url, "GET", "/toastie?i=cheese"),
          ]);
          await sleep(1_000);
        }
      });

      after(async () => {
        prometheus?.kill("SIGKILL");
        await jafflr?.stop();
        await chillybin?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      /** One instant query, as the panel would run it; answers Prometheus' result (it throws on an error). */
      async function query(expr: string): Promise<unknown[]> {
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr.replaceAll("$__rate_interval", RATE_INTERVAL))}`);
        const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
        if (body.status !== "success") throw new Error(`${body.error ?? res.status}: ${expr}`);
        return body.data?.result ?? [];
      }

      /** Polls a query until it answers at least `series` series (Prometheus needs a few scrapes for a rate). */
      async function answered(expr: string, series = 1): Promise<unknown[]> {
        let result: unknown[] = [];
        for (const deadline = Date.now() + 45_000; Date.now() < deadline; await sleep(500)) {
          result = await query(expr).catch((e: Error) => {
            if (/connect|fetch failed|ECONNREFUSED/i.test(String(e.cause ?? e.message))) return [];
            throw e;
          });
          if (result.length >= series) return result;
        }
        return result;
      }

      it("Prometheus scrapes both services", async () => {
        // Each has been scraped successfully (not necessarily in the same instant).
        assert.equal((await answered('max_over_time(up{job=~"chillybin|jafflr"}[1m]) == 1', 2)).length, 2);
      });

      for (const panel of DASHBOARD.panels) {
        for (const target of panel.targets) {
          it(`${panel.title} (${target.refId}): answers`, async () => {
            const result = await answered(target.expr);
            assert.ok(result.length > 0, `no series for ${target.expr}`);
          });
        }
      }
    });
});
