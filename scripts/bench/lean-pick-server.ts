// The leanest real Pick, for `npm run bench` to set chillybin's gRPC Pick
// beside: Node's http2 (core API, h2c) reading a unary gRPC PickRequest,
// decoding it with protobuf-es, taking the stock through chillybin's own
// PickBatcher (the same statements, Kysely and pg), and answering the
// PickResponse with grpc-status 0 in trailers. Nothing a service owes its
// callers: no validation, deadlines, limits, request log, metrics, errors in
// gRPC's words or any other protocol. What it reaches is what the database
// work alone leaves of the runtime's ceiling (null-grpc-server.ts); what
// chillybin reaches below it is what those features cost.
// A failed pick is answered HTTP 503, so that the load generator counts it as
// an error. Run with the services' V8 flags and a migrated chillybin database
// (DATABASE_URL, or CHILLYBIN_DATA_DIR for an embedded one, as chillybin
// takes them); prints "listening <port>".
//   DATABASE_URL=postgres://… node --max-semi-space-size=8 --max-old-space-size=96 --expose-gc --import tsx scripts/bench/lean-pick-server.ts
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PickRequestSchema, PickResponseSchema } from "../../gen/chillybin/v1/chillybin_pb.js";
import { encodeEnvelope } from "../../lib/connect-internals.js";
import { databaseLocation, openDatabase, workDeadline } from "../../lib/db/index.js";
import { DEFAULT_DATABASE_TIMEOUT_MS } from "../../services/chillybin/chillybin-server.js";
import type { ChillybinDatabase } from "../../services/chillybin/database.js";
import { PickBatcher } from "../../services/chillybin/pick-batcher.js";

const { DATABASE_URL, CHILLYBIN_DATA_DIR } = process.env;
if (!DATABASE_URL && !CHILLYBIN_DATA_DIR) {
  console.error("lean-pick-server.ts needs a migrated chillybin database: DATABASE_URL, or CHILLYBIN_DATA_DIR (embedded)");
  process.exit(2);
}
const db = openDatabase<ChillybinDatabase>(databaseLocation(DATABASE_URL, CHILLYBIN_DATA_DIR ?? ""));
const picks = new PickBatcher(db);
/** No caller here ever stops waiting: the one signal is never aborted. */
const caller = new AbortController().signal;

const server = http2.createServer();
server.on("stream", (stream) => {
  stream.on("error", () => {});
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    const request = fromBinary(PickRequestSchema, body.subarray(5));
    picks.pick(request.name, request.quantity, workDeadline(caller, undefined, DEFAULT_DATABASE_TIMEOUT_MS)).then(
      (remaining) => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(encodeEnvelope(0, toBinary(PickResponseSchema, create(PickResponseSchema, { name: request.name, remaining }))));
      },
      (error: unknown) => {
        console.error(`pick failed: ${String(error)}`);
        stream.respond({ ":status": 503 }, { endStream: true });
      },
    );
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => server.close(() => void db.destroy().then(() => process.exit(0))));
