// The runtime's own ceiling for a unary gRPC call, for `npm run bench` to
// compare chillybin's gRPC Pick with: Node's http2 (core API, h2c) answering
// every POST with the same fixed PickResponse once it has read the request,
// then grpc-status 0 in trailers. Nothing else: no routing, no decoding, no
// database. Run with the services' V8 flags; prints "listening <port>".
//   node --max-semi-space-size=8 --max-old-space-size=96 --expose-gc --import tsx scripts/bench/null-grpc-server.ts
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { PickResponseSchema } from "../../gen/chillybin/v1/chillybin_pb.js";

const message = toBinary(PickResponseSchema, create(PickResponseSchema, { name: "cheese", remaining: 9 }));
// The gRPC envelope: no compression flag, the length, the message.
const reply = Buffer.alloc(5 + message.length);
reply.writeUInt32BE(message.length, 1);
reply.set(message, 5);

const server = http2.createServer();
server.on("stream", (stream) => {
  stream.on("data", () => {});
  stream.on("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(reply);
  });
  stream.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
