// The services as a Python client sees them: every call here is made by
// grpcio (gRPC's C core), a gRPC implementation nobody here wrote, with its own
// deadlines (grpc-timeout in its units), compression, metadata and streaming.
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import { HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { MakeToastieRequestSchema, MakeToastieResponseSchema } from "../../gen/jafflr/v1/jafflr_pb.js";
import { assertGrpcioInstalled, grpcioCall } from "../support/grpcio.js";
import { TEST_VERSION, useServices } from "../support/services.js";

describe("grpcio (Python's gRPC) calls the services", function () {
  this.timeout(60_000);
  before(assertGrpcioInstalled);
  const services = useServices();
  const chillybin = () => new URL(services.chillybin.server.url).host;
  const pick = (request: { name: string; quantity: number }, options: { timeoutSeconds?: number; gzip?: boolean } = {}) =>
    grpcioCall(
      {
        target: chillybin(),
        method: "/chillybin.v1.ChillybinService/Pick",
        input: v1.PickRequestSchema,
        request: create(v1.PickRequestSchema, request),
        ...options,
      },
      v1.PickResponseSchema,
    );

  const picks: Array<{ case: string; options: { timeoutSeconds?: number; gzip?: boolean } }> = [
    { case: "a unary call", options: {} },
    { case: "with a deadline (grpc-timeout in grpcio's units)", options: { timeoutSeconds: 20 } },
    { case: "its request gzip-compressed", options: { gzip: true } },
  ];
  for (const c of picks) {
    it(`${c.case}: answered, the stock taken, the version in the response headers`, async () => {
      const before = (await services.chillybin.stock()).cheese!;
      const outcome = await pick({ name: "cheese", quantity: 1 }, c.options);
      assert.equal(outcome.code, "OK", outcome.details);
      assert.equal(outcome.responses[0]?.remaining, before - 1);
      assert.deepEqual(
        outcome.initial.filter(([key]) => key === "x-service-version"),
        [["x-service-version", TEST_VERSION]],
      );
      assert.equal((await services.chillybin.stock()).cheese, before - 1);
    });
  }

  const refused: Array<{ case: string; request: { name: string; quantity: number }; code: string; details: RegExp }> = [
    { case: "no name", request: { name: "", quantity: 1 }, code: "INVALID_ARGUMENT", details: /^name: must be at least 1 characters \[string\.min_len\]/ },
    { case: "an unknown ingredient", request: { name: "ham", quantity: 1 }, code: "NOT_FOUND", details: /ham/ },
    { case: "more than the stock", request: { name: "cheese", quantity: 1000 }, code: "FAILED_PRECONDITION", details: /cheese/ },
  ];
  for (const c of refused) {
    it(`${c.case}: ${c.code} naming it, with grpc-status-details-bin, nothing taken`, async () => {
      const before = await services.chillybin.stock();
      const outcome = await pick(c.request);
      assert.equal(outcome.code, c.code, outcome.details);
      assert.match(outcome.details, c.details);
      assert.ok(
        outcome.trailing.some(([key]) => key === "grpc-status-details-bin"),
        "the status's details (google.rpc.Status) for clients that read them",
      );
      assert.deepEqual(await services.chillybin.stock(), before);
    });
  }

  it("an unknown method: UNIMPLEMENTED naming it", async () => {
    const outcome = await grpcioCall(
      { target: chillybin(), method: "/chillybin.v1.ChillybinService/Steal", input: v1.PickRequestSchema, request: create(v1.PickRequestSchema, {}) },
      v1.PickResponseSchema,
    );
    assert.equal(outcome.code, "UNIMPLEMENTED");
    assert.equal(outcome.details, "unknown method /chillybin.v1.ChillybinService/Steal: this server does not serve it");
  });

  it("a server stream (grpc.health.v1.Health/Watch): SERVING first, then cancelled by the client", async () => {
    const outcome = await grpcioCall(
      {
        target: chillybin(),
        method: "/grpc.health.v1.Health/Watch",
        input: HealthCheckRequestSchema,
        request: create(HealthCheckRequestSchema, { service: "chillybin.v1.ChillybinService" }),
        take: 1,
      },
      HealthCheckResponseSchema,
    );
    assert.equal(outcome.code, "OK", outcome.details);
    assert.deepEqual(
      outcome.responses.map((r) => r.status),
      [HealthCheckResponse_ServingStatus.SERVING],
    );
  });

  it("jafflr: a toastie, its ingredients picked from chillybin", async () => {
    const before = await services.chillybin.stock();
    const outcome = await grpcioCall(
      {
        target: new URL(services.jafflr.server.url).host,
        method: "/jafflr.v1.JafflrService/MakeToastie",
        input: MakeToastieRequestSchema,
        request: create(MakeToastieRequestSchema, { ingredients: ["cheese", "vegemite"] }),
        timeoutSeconds: 20,
      },
      MakeToastieResponseSchema,
    );
    assert.equal(outcome.code, "OK", outcome.details);
    assert.ok(outcome.responses[0]?.toastie, "a toastie");
    const after = await services.chillybin.stock();
    assert.deepEqual([after.cheese, after.vegemite, after.bread], [before.cheese! - 1, before.vegemite! - 1, before.bread! - 2]);
  });
});
