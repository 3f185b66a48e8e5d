// Parity where it matters: a jafflr with every direct path on (its server's
// unary-grpc.ts / unary-connect.ts, and unary-grpc-transport.ts to chillybin
// with jafflr's real interceptor chain) and one with none (Connect's handlers
// and Connect's gRPC transport) must answer alike for what a call through two
// services meets: errors relayed from chillybin with their details, a
// deadline that expires while cooking, the server shutting down mid-call, and
// a client resetting its stream with any reset code. Each answer is read by
// Connect-ES's clients (every protocol) or raw HTTP/2.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { JafflrService, MakeToastieRequestSchema } from "../../../gen/jafflr/v1/jafflr_pb.js";
import { ALL_DIRECT_PATHS, NO_DIRECT_PATHS } from "../../../lib/direct-paths.js";
import { Kitchen } from "../../../services/jafflr/kitchen.js";
import { captureLogger } from "../../support/capture-logger.js";
import { startChillybin, startJafflr, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { TRANSPORTS } from "../../support/transports.js";

interface Outcome {
  code: string;
  message?: string;
  /** Each error detail: its type and its bytes. */
  details?: string[];
  contentType?: string | null;
}

type ToastieRequest = Parameters<ReturnType<typeof createClient<typeof JafflrService>>["makeToastie"]>[0];

async function makeToastie(transport: Transport, input: ToastieRequest, timeoutMs?: number): Promise<Outcome> {
  let contentType: string | null = null;
  try {
    await createClient(JafflrService, transport).makeToastie(input, { timeoutMs, onHeader: (h) => (contentType = h.get("content-type")) });
    return { code: "ok", contentType };
  } catch (e) {
    const error = ConnectError.from(e);
    const details = error.details.map((d) => ("desc" in d ? d.desc.typeName : `${d.type} ${Buffer.from(d.value).toString("base64")}`));
    return { code: Code[error.code], message: error.rawMessage, details, contentType };
  }
}

/** A kitchen whose plates never finish: a toastie (said to cook in 0.1 ms) cooks until its call is cancelled. */
const endlessKitchen = () => new Kitchen(0.0001, (_ms, signal) => sleep(3_600_000, undefined, { signal }));

describe("jafflr: the direct paths and Connect's answer alike for calls through two services", function () {
  this.timeout(60_000);
  let chillybin: TestChillybin;
  before(async () => {
    chillybin = await startChillybin();
  });
  after(() => chillybin?.stop());

  /** [direct, Connect only], both calling the same chillybin. */
  async function pair(options: { kitchen?: () => Kitchen; drainTimeoutMs?: number } = {}) {
    const logs = [captureLogger(), captureLogger()];
    const jafflrs: TestJafflr[] = [];
    for (const [i, directPaths] of [ALL_DIRECT_PATHS, NO_DIRECT_PATHS].entries()) {
      jafflrs.push(
        await startJafflr({
          chillybinUrl: chillybin.server.url,
          directPaths,
          kitchen: options.kitchen?.(),
          drainTimeoutMs: options.drainTimeoutMs,
          logger: logs[i]!.logger,
        }),
      );
    }
    return {
      jafflrs,
      logs,
      stop: async () => {
        await Promise.all(jafflrs.map((j) => j.stop()));
      },
    };
  }

  describe("errors relayed from chillybin, and jafflr's own", () => {
    let jafflrs: TestJafflr[] = [];
    let stop = async () => {};
    before(async () => ({ jafflrs, stop } = await pair()));
    after(() => stop());
    beforeEach(() => chillybin.setStock({ bread: 100, cheese: 100, vegemite: 0 }));

    const cases: Array<{ case: string; input: ToastieRequest; expect: string; detail?: string }> = [
      { case: "a toastie", input: { ingredients: ["cheese"] }, expect: "ok" },
      {
        case: "refused by chillybin, its StockRefusal detail relayed",
        input: { ingredients: ["cheese", "vegemite"] },
        expect: "FailedPrecondition",
        detail: "chillybin.v2.StockRefusal",
      },
      { case: "an ingredient chillybin does not keep", input: { ingredients: ["cheese", "ham"] }, expect: "NotFound" },
      {
        case: "refused by jafflr's schema rules, with Violations",
        input: { ingredients: ["vegemite"] },
        expect: "InvalidArgument",
        detail: "buf.validate.Violations",
      },
    ];
    for (const c of cases) {
      for (const transport of TRANSPORTS) {
        it(`${c.case} (${transport.name})`, async () => {
          const direct = await makeToastie(transport.make(jafflrs[0]!.server.url), c.input);
          const connect = await makeToastie(transport.make(jafflrs[1]!.server.url), c.input);
          assert.deepEqual(direct, connect);
          assert.equal(direct.code, c.expect, direct.message);
          if (c.detail)
            assert.ok(
              direct.details?.some((d) => d.startsWith(`${c.detail} `)),
              `a ${c.detail} detail: ${direct.details}`,
            );
        });
      }
    }
  });

  describe("a deadline that expires while the toastie cooks", () => {
    let jafflrs: TestJafflr[] = [];
    let stop = async () => {};
    before(async () => ({ jafflrs, stop } = await pair({ kitchen: endlessKitchen })));
    after(() => stop());
    beforeEach(() => chillybin.setStock({ bread: 100, cheese: 100 }));

    for (const transport of TRANSPORTS) {
      it(`DEADLINE_EXCEEDED, and the cooking stops (${transport.name})`, async () => {
        const [direct, connect] = await Promise.all(jafflrs.map((j) => makeToastie(transport.make(j.server.url), { ingredients: ["cheese"] }, 300)));
        assert.deepEqual(direct, connect);
        assert.equal(direct!.code, "DeadlineExceeded");
        for (const j of jafflrs) for (let t = Date.now(); j.kitchen.cooking > 0 && Date.now() - t < 2_000; ) await sleep(10);
        assert.deepEqual(
          jafflrs.map((j) => j.kitchen.cooking),
          [0, 0],
        );
      });
    }
  });

  describe("the server shutting down mid-call", () => {
    for (const transport of TRANSPORTS) {
      it(`UNAVAILABLE once the drain time is up (${transport.name})`, async () => {
        await chillybin.setStock({ bread: 100, cheese: 100 });
        const { jafflrs, stop } = await pair({ kitchen: endlessKitchen, drainTimeoutMs: 200 });
        try {
          const calls = jafflrs.map((j) => makeToastie(transport.make(j.server.url), { ingredients: ["cheese"] }));
          for (let t = Date.now(); jafflrs.some((j) => j.kitchen.cooking === 0) && Date.now() - t < 5_000; ) await sleep(10);
          await Promise.all(jafflrs.map((j) => j.server.close()));
          const [direct, connect] = await Promise.all(calls);
          assert.deepEqual(direct, connect);
          assert.equal(direct!.code, "Unavailable");
          assert.equal(direct!.message, "the server is shutting down");
        } finally {
          await stop();
        }
      });
    }
  });

  describe("a client resetting its gRPC stream mid-call", () => {
    let pairOf: Awaited<ReturnType<typeof pair>>;
    before(async () => (pairOf = await pair({ kitchen: endlessKitchen })));
    after(() => pairOf.stop());
    beforeEach(() => chillybin.setStock({ bread: 100, cheese: 100 }));

    const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_INTERNAL_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;
    const codes: Array<[string, number]> = [
      ["CANCEL", NGHTTP2_CANCEL],
      ["NO_ERROR", NGHTTP2_NO_ERROR],
      ["INTERNAL_ERROR", NGHTTP2_INTERNAL_ERROR],
      ["REFUSED_STREAM", NGHTTP2_REFUSED_STREAM],
    ];
    const body = encodeEnvelope(0, toBinary(MakeToastieRequestSchema, create(MakeToastieRequestSchema, { ingredients: ["cheese"] })));
    for (const [name, rstCode] of codes) {
      it(`RST_STREAM ${name}: logged canceled, and the cooking stops, on both`, async () => {
        const outcomes = await Promise.all(
          pairOf.jafflrs.map(async (j, i) => {
            const from = pairOf.logs[i]!.lines.length;
            const session = http2.connect(j.server.url);
            session.on("error", () => {});
            const stream = session.request({
              ":method": "POST",
              ":path": "/jafflr.v1.JafflrService/MakeToastie",
              "content-type": "application/grpc",
              te: "trailers",
            });
            stream.on("error", () => {});
            stream.end(body);
            for (let t = Date.now(); j.kitchen.cooking === 0 && Date.now() - t < 5_000; ) await sleep(10);
            stream.close(rstCode);
            const line = await pairOf.logs[i]!.waitFor((l) => l.rpc === "jafflr.v1.JafflrService/MakeToastie" && l.msg !== undefined && "code" in l, from);
            for (let t = Date.now(); j.kitchen.cooking > 0 && Date.now() - t < 2_000; ) await sleep(10);
            session.close();
            return { code: line?.code, status: line?.status, cooking: j.kitchen.cooking };
          }),
        );
        assert.deepEqual(outcomes[0], outcomes[1]);
        assert.deepEqual(outcomes[0], { code: "canceled", status: 499, cooking: 0 });
      });
    }
  });
});
