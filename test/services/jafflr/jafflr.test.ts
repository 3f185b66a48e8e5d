import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import {
  Doneness,
  GetStatusRequestSchema,
  GetStatusResponseSchema,
  JafflrService,
  MakeToastieRequestSchema,
  MakeToastieResponseSchema,
} from "../../../gen/jafflr/v1/jafflr_pb.js";
import { DEFAULT_CUSTOMER } from "../../../services/jafflr/config.js";
import { COOKING_SECONDS, Kitchen } from "../../../services/jafflr/kitchen.js";
import { startJafflr, useServices, type TestChillybin, type TestJafflr } from "../../support/services.js";
import { freePort } from "../../../scripts/support/ports.js";
import { grpcJsUnary, TRANSPORTS } from "../../support/transports.js";

const DEFAULT = { bread: 10, cheese: 10, vegemite: 10 };

/** An oven the test controls: each toastie cooks until the test takes it out. */
class ManualOven {
  readonly waiting: Array<{ ms: number; done: () => void }> = [];
  heat = (ms: number) => new Promise<void>((done) => this.waiting.push({ ms, done }));
  async until(count: number): Promise<void> {
    while (this.waiting.length < count) await new Promise((r) => setTimeout(r, 5));
  }
}

describe("jafflr", () => {
  const services = useServices();
  let chillybin: TestChillybin;
  let jafflr: TestJafflr;
  let client: Client<typeof JafflrService>;
  const stock = () => chillybin.stock();

  before(() => {
    ({ chillybin, jafflr } = services);
    client = createClient(JafflrService, TRANSPORTS[0]!.make(jafflr.server.url));
  });
  beforeEach(() => chillybin.setStock(DEFAULT));

  describe("MakeToastie", () => {
    const made: Array<{
      case: string;
      req: MessageInitShape<typeof MakeToastieRequestSchema>;
      ingredients: string[];
      doneness: Doneness;
      left: Record<string, number>;
    }> = [
      {
        case: "cheese only, light by default",
        req: { ingredients: ["cheese"] },
        ingredients: ["bread", "bread", "cheese"],
        doneness: Doneness.LIGHT,
        left: { bread: 8, cheese: 9, vegemite: 10 },
      },
      {
        case: "cheese and vegemite, medium",
        req: { ingredients: ["cheese", "vegemite"], doneness: Doneness.MEDIUM, customer: "gita" },
        ingredients: ["bread", "bread", "cheese", "vegemite"],
        doneness: Doneness.MEDIUM,
        left: { bread: 8, cheese: 9, vegemite: 9 },
      },
      {
        case: "double cheese, burnt",
        req: { ingredients: ["cheese", "cheese"], doneness: Doneness.BURNT },
        ingredients: ["bread", "bread", "cheese", "cheese"],
        doneness: Doneness.BURNT,
        left: { bread: 8, cheese: 8, vegemite: 10 },
      },
    ];
    for (const c of made) {
      it(`makes a toastie: ${c.case}`, async () => {
        const res = await client.makeToastie(c.req);
        assert.deepEqual(res.toastie?.ingredients, c.ingredients);
        assert.equal(res.toastie?.doneness, c.doneness);
        assert.equal(res.toastie?.customer, c.req.customer ?? DEFAULT_CUSTOMER, "a toastie without a customer is recorded for the default one");
        assert.equal(res.toastie?.orderIds.length, new Set(c.ingredients).size, "one order per distinct ingredient");
        assert.deepEqual(await stock(), c.left);
      });
    }

    const invalid: Array<{ case: string; req: MessageInitShape<typeof MakeToastieRequestSchema>; message: RegExp }> = [
      { case: "no ingredients", req: { ingredients: [] }, message: /at least one ingredient/ },
      { case: "no cheese", req: { ingredients: ["vegemite"] }, message: /needs cheese/ },
      {
        case: "an empty ingredient name",
        req: { ingredients: ["cheese", ""] },
        message: /^ingredients\[1\]: must be at least 1 characters \[string\.min_len\]/,
      },
      {
        case: "an unknown doneness number",
        req: { ingredients: ["cheese"], doneness: 99 as Doneness },
        message: /^doneness: value must be one of the defined enum values \[enum\.defined_only\]$/,
      },
    ];
    for (const c of invalid) {
      it(`refuses ${c.case} with INVALID_ARGUMENT and picks nothing`, async () => {
        const error = await client.makeToastie(c.req).then(
          () => assert.fail("accepted"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, Code.InvalidArgument);
        assert.match(error.rawMessage, c.message);
        assert.deepEqual(await stock(), DEFAULT);
      });
    }

    const refusedByChillybin = [
      {
        case: "an unknown ingredient",
        setup: DEFAULT,
        req: { ingredients: ["cheese", "ham"] },
        code: Code.NotFound,
        message: /cannot pick ham: unknown ingredient "ham"/,
      },
      {
        case: "cheese out of stock",
        setup: { ...DEFAULT, cheese: 0 },
        req: { ingredients: ["cheese"] },
        code: Code.FailedPrecondition,
        message: /cannot pick cheese: not enough cheese: wanted 1, 0 in stock/,
      },
      {
        case: "one slice of bread left",
        setup: { ...DEFAULT, bread: 1 },
        req: { ingredients: ["cheese"] },
        code: Code.FailedPrecondition,
        message: /cannot pick bread: not enough bread: wanted 2, 1 in stock/,
      },
    ];
    for (const c of refusedByChillybin) {
      it(`answers ${Code[c.code]} naming the ingredient when chillybin refuses ${c.case}`, async () => {
        await chillybin.setStock(c.setup);
        const error = await client.makeToastie(c.req).then(
          () => assert.fail("a toastie was reported"),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(error.code, c.code);
        assert.match(error.rawMessage, c.message);
        assert.equal((await client.getStatus({})).cooking, 0);
      });
    }

    it("answers UNAVAILABLE quickly when chillybin cannot be reached", async () => {
      const closedPort = await freePort();
      const lonely = await startJafflr({ chillybinUrl: `http://127.0.0.1:${closedPort}` });
      try {
        const lonelyClient = createClient(JafflrService, TRANSPORTS[0]!.make(lonely.server.url));
        const error = await lonelyClient.makeToastie({ ingredients: ["cheese"] }).catch((e: unknown) => ConnectError.from(e));
        assert.ok(error instanceof ConnectError);
        assert.equal(error.code, Code.Unavailable);
        assert.match(error.rawMessage, /chillybin is unavailable \(picking the toastie's ingredients\)/);
      } finally {
        await lonely.stop();
      }
    });

    it("is served to @grpc/grpc-js over h2c", async () => {
      const res = await grpcJsUnary(
        new URL(jafflr.server.url).host,
        JafflrService,
        "MakeToastie",
        MakeToastieRequestSchema,
        MakeToastieResponseSchema,
        create(MakeToastieRequestSchema, { ingredients: ["cheese", "vegemite"], doneness: Doneness.WELL_DONE }),
      );
      assert.equal(res.toastie?.doneness, Doneness.WELL_DONE);
      const status = await grpcJsUnary(
        new URL(jafflr.server.url).host,
        JafflrService,
        "GetStatus",
        GetStatusRequestSchema,
        GetStatusResponseSchema,
        create(GetStatusRequestSchema),
      );
      assert.deepEqual([status.cooking, status.toasting], [0, false]);
    });
  });

  describe("GetStatus with overlapping toasties", () => {
    it("counts every toastie cooking; the first to finish does not clear it", async () => {
      const oven = new ManualOven();
      const kitchen = new Kitchen(1, oven.heat);
      const machine = await startJafflr({ chillybinUrl: chillybin.server.url, kitchen });
      try {
        const machineClient = createClient(JafflrService, TRANSPORTS[0]!.make(machine.server.url));
        assert.deepEqual(await statusOf(machineClient), { cooking: 0, toasting: false });
        const first = machineClient.makeToastie({ ingredients: ["cheese"], doneness: Doneness.LIGHT });
        const second = machineClient.makeToastie({ ingredients: ["cheese"], doneness: Doneness.BURNT });
        await oven.until(2);
        assert.deepEqual(await statusOf(machineClient), { cooking: 2, toasting: true });
        oven.waiting.find((t) => t.ms === 1000)!.done();
        await first;
        assert.deepEqual(await statusOf(machineClient), { cooking: 1, toasting: true });
        oven.waiting.find((t) => t.ms === 10_000)!.done();
        await second;
        assert.deepEqual(await statusOf(machineClient), { cooking: 0, toasting: false });
      } finally {
        await machine.stop();
      }
    });
  });

  describe("cooking times", () => {
    const table = [
      { doneness: Doneness.UNSPECIFIED, ms: 1000 },
      { doneness: Doneness.LIGHT, ms: 1000 },
      { doneness: Doneness.MEDIUM, ms: 2000 },
      { doneness: Doneness.WELL_DONE, ms: 5000 },
      { doneness: Doneness.BURNT, ms: 10_000 },
    ];
    for (const t of table) {
      it(`${Doneness[t.doneness]} cooks ${t.ms} ms at scale 1 and ${t.ms / 100} ms at scale 0.01`, async () => {
        for (const scale of [1, 0.01]) {
          const heard: number[] = [];
          const kitchen = new Kitchen(scale, async (ms) => void heard.push(ms));
          const machine = await startJafflr({ chillybinUrl: chillybin.server.url, kitchen });
          try {
            await createClient(JafflrService, TRANSPORTS[0]!.make(machine.server.url)).makeToastie({ ingredients: ["cheese"], doneness: t.doneness });
          } finally {
            await machine.stop();
          }
          assert.deepEqual(heard, [t.ms * scale]);
        }
      });
    }
    it("match the original's table", () => {
      assert.deepEqual(COOKING_SECONDS, { [Doneness.LIGHT]: 1, [Doneness.MEDIUM]: 2, [Doneness.WELL_DONE]: 5, [Doneness.BURNT]: 10 });
    });
  });
});

async function statusOf(client: Client<typeof JafflrService>): Promise<{ cooking: number; toasting: boolean }> {
  const { cooking, toasting } = await client.getStatus({});
  return { cooking, toasting };
}
