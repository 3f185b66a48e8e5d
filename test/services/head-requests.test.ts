// HEAD is answered wherever a GET is safe, as that GET without its body: the
// plain endpoints, REST routes of RPCs without side effects, and Connect GET.
// A GET that changes something (the original's GET /pick) does not answer
// HEAD: monitors and link checkers send it freely. Checked with curl -I over
// HTTP/1.1 and h2c.
import assert from "node:assert/strict";
import { curl } from "../support/curl.js";
import { useServices } from "../support/services.js";

/** curl -I: a HEAD request, over HTTP/1.1 or h2c. */
const curlHead = (url: string, http2: boolean) => curl(["-I", ...(http2 ? ["--http2-prior-knowledge"] : ["--http1.1"]), url]);

const GET_STOCK = `/chillybin.v1.ChillybinService/GetStock?connect=v1&encoding=json&message=${encodeURIComponent("{}")}`;

describe("HEAD wherever GET is safe", () => {
  const services = useServices();
  const table: Array<{ case: string; path: string; status: number; allow?: string; type?: string }> = [
    { case: "/health", path: "/health", status: 200, type: "application/json" },
    { case: "/metrics", path: "/metrics", status: 200, type: "text/plain; version=0.0.4; charset=utf-8" },
    { case: "/openapi.json", path: "/openapi.json", status: 200, type: "application/json" },
    { case: "REST GET / (GetStock, no side effects)", path: "/", status: 200, type: "application/json" },
    { case: "Connect GET of GetStock", path: GET_STOCK, status: 200, type: "application/json" },
    { case: "REST GET /pick takes stock: no HEAD", path: "/pick?name=cheese&quantity=1", status: 405, allow: "GET, POST" },
    { case: "an RPC path that takes only POST", path: "/chillybin.v1.ChillybinService/Pick", status: 405, allow: "POST" },
  ];
  for (const http2 of [false, true]) {
    for (const t of table) {
      it(`${http2 ? "h2c" : "HTTP/1.1"}: ${t.case} → ${t.status}`, async () => {
        const before = await services.chillybin.db.selectFrom("ingredients").select(["name", "quantity"]).orderBy("name").execute();
        const res = await curlHead(`${services.chillybin.server.url}${t.path}`, http2);
        assert.equal(res.status, t.status, JSON.stringify(res.headers));
        assert.equal(res.body, "");
        if (t.type) assert.equal(res.headers["content-type"], t.type);
        if (t.allow) assert.equal(res.headers.allow, t.allow);
        assert.deepEqual(await services.chillybin.db.selectFrom("ingredients").select(["name", "quantity"]).orderBy("name").execute(), before);
      });
    }
  }
});
