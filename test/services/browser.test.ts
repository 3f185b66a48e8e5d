// Browsers are clients too: Debian's Chromium, driven by playwright-core, opens
// a page served from an origin of its own (test/support/browser-page/page.ts,
// bundled by esbuild) that calls jafflr and chillybin on theirs, with
// Connect-Web (Connect JSON and binary, gRPC-Web binary) and the official
// grpc-web runtime in text mode: CORS, both gRPC-Web modes, typed error
// details, Connect GET and a server stream the page ends, as a browser does them.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { Code } from "@connectrpc/connect";
import { StockRefusal_Reason } from "../../gen/chillybin/v2/chillybin_pb.js";
import type { Outcome, PageCalls, WebProtocol } from "../support/browser-page/page.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../support/services.js";

/** Debian's Chromium (apt-get install chromium; .ci/run installs it), or CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

/** Serves the page and its bundle on an ephemeral port: the page's own origin. */
async function servePage(): Promise<{ origin: string; close: () => Promise<void> }> {
  const bundle = await build({
    entryPoints: [path.resolve("test/support/browser-page/page.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    logLevel: "error",
  });
  const script = bundle.outputFiles[0]!.contents;
  const html = '<!doctype html><meta charset="utf-8"><title>toasties-galore in a browser</title><script type="module" src="/page.js"></script>';
  const server = http.createServer((req, res) => {
    if (req.url === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("from a browser: Chromium calls both services from a page on another origin", function () {
  this.timeout(120_000);
  let page: Page;
  let browser: Browser | undefined;
  let site: Awaited<ReturnType<typeof servePage>> | undefined;
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  /** What the page sent, as Chromium's network layer saw it. */
  const sent: Array<{ method: string; url: string; contentType: string | undefined }> = [];

  /** Runs one of the page's calls in the page. */
  function inPage<K extends keyof PageCalls>(name: K, ...args: Parameters<PageCalls[K]>): Promise<Outcome> {
    return page.evaluate(
      ([name, args]) => {
        const calls = (globalThis as unknown as { calls: Record<string, (...a: unknown[]) => Promise<unknown>> }).calls;
        return calls[name]!(...args);
      },
      [name, args] as const,
    ) as Promise<Outcome>;
  }

  before(async () => {
    if (!CHROMIUM) throw new Error("the browser test needs Chromium: apt-get install chromium (Debian's package; .ci/run installs it), or set CHROMIUM_PATH");
    site = await servePage();
    chillybin = await startChillybin({ corsAllowedOrigins: new Set([site.origin]) });
    jafflr = await startJafflr({ chillybinUrl: chillybin.server.url, corsAllowedOrigins: new Set([site.origin]) });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage();
    page.on("request", (r) => sent.push({ method: r.method(), url: r.url(), contentType: r.headers()["content-type"] }));
    await page.goto(site.origin);
    await page.waitForFunction(() => "calls" in globalThis);
  });
  after(async () => {
    await browser?.close();
    await jafflr?.stop();
    await chillybin?.stop();
    await site?.close();
  });
  beforeEach(async () => {
    await chillybin.setStock({ bread: 10, cheese: 10, vegemite: 10 });
    sent.length = 0;
  });

  const protocols: Array<[WebProtocol, string]> = [
    ["connect-json", "application/json"],
    ["connect-binary", "application/proto"],
    ["grpc-web", "application/grpc-web+proto"],
  ];
  for (const [protocol, contentType] of protocols) {
    describe(`Connect-Web, ${protocol}`, () => {
      it("makes a toastie: jafflr answers it, and chillybin's stock went down", async () => {
        const made = await inPage("toastie", protocol, jafflr.server.url, ["cheese", "vegemite"]);
        assert.deepEqual(made, { ok: true, value: { ingredients: ["bread", "bread", "cheese", "vegemite"], orderIds: 3 } });
        assert.deepEqual(await chillybin.stock(), { bread: 8, cheese: 9, vegemite: 9 });
        assert.ok(
          sent.some((r) => r.method === "POST" && r.url.endsWith("/jafflr.v1.JafflrService/MakeToastie") && r.contentType === contentType),
          JSON.stringify(sent),
        );
      });

      it("reads a refusal through its typed StockRefusal detail", async () => {
        const refused = await inPage("toastie", protocol, jafflr.server.url, ["cheese", "truffle"]);
        assert.equal(refused.ok, false);
        assert.deepEqual(!refused.ok && refused.refusal, { ingredient: "truffle", reason: String(StockRefusal_Reason.UNKNOWN_INGREDIENT) });
        assert.equal(!refused.ok && refused.code, String(Code.NotFound));
      });

      it("reads a validation error through its Violations detail", async () => {
        const refused = await inPage("toastie", protocol, jafflr.server.url, []);
        assert.equal(!refused.ok && refused.code, String(Code.InvalidArgument));
        assert.deepEqual(!refused.ok && refused.violations, ["toastie.has_fillings"]);
        assert.deepEqual(await chillybin.stock(), { bread: 10, cheese: 10, vegemite: 10 });
      });

      it("watches grpc.health.v1 and ends the stream itself", async () => {
        assert.deepEqual(await inPage("watchHealth", protocol, jafflr.server.url), { ok: true, value: ["SERVING"] });
      });
    });
  }

  it("Connect GET for GetStock, a side-effect-free RPC", async () => {
    assert.deepEqual(await inPage("stockByGet", chillybin.server.url), { ok: true, value: { bread: 10, cheese: 10, vegemite: 10 } });
    assert.ok(
      sent.some((r) => r.method === "GET" && r.url.includes("/chillybin.v1.ChillybinService/GetStock?")),
      JSON.stringify(sent),
    );
  });

  describe("the official grpc-web runtime, text mode", () => {
    it("makes a toastie", async () => {
      const made = await inPage("textToastie", jafflr.server.url, ["cheese"]);
      assert.deepEqual(made, { ok: true, value: { ingredients: ["bread", "bread", "cheese"], orderIds: 2 } });
      assert.ok(
        sent.some((r) => r.url.endsWith("/jafflr.v1.JafflrService/MakeToastie") && r.contentType?.startsWith("application/grpc-web-text")),
        JSON.stringify(sent),
      );
    });

    it("reads a refusal's code and its StockRefusal from grpc-status-details-bin", async () => {
      const refused = await inPage("textToastie", jafflr.server.url, ["cheese", "truffle"]);
      assert.equal(!refused.ok && refused.code, String(Code.NotFound));
      assert.deepEqual(!refused.ok && refused.refusal, { ingredient: "truffle", reason: String(StockRefusal_Reason.UNKNOWN_INGREDIENT) });
    });

    it("watches grpc.health.v1 and cancels the stream itself", async () => {
      assert.deepEqual(await inPage("textWatch", chillybin.server.url), { ok: true, value: ["SERVING"] });
    });
  });
});
