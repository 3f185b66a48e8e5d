// Calls made with grpcio (Python's gRPC, on gRPC's C core), through
// grpcio-call.py: the client the gRPC project itself keeps for Python, to
// prove the services against a gRPC implementation nobody here wrote. It
// needs Debian's python3-grpcio (Debian's own Python, /usr/bin/python3, which
// the package installs for), and says so when it is missing.
import { execFile, execFileSync } from "node:child_process";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./grpcio-call.py", import.meta.url).pathname;

/** Throws, naming what to install, unless Debian's Python has grpcio. */
export function assertGrpcioInstalled(): void {
  try {
    execFileSync(PYTHON, ["-c", "import grpc"], { stdio: "ignore" });
  } catch {
    throw new Error("grpcio is missing: these tests call with Python's gRPC (apt-get install python3-grpcio)");
  }
}

export interface GrpcioCall<I extends DescMessage> {
  /** host:port */
  target: string;
  /** /package.Service/Method */
  method: string;
  input: I;
  request: MessageShape<I>;
  timeoutSeconds?: number;
  metadata?: Array<[string, string]>;
  /** Send the request gzip-compressed. */
  gzip?: boolean;
  /** A server-streaming call: read this many messages, then cancel. */
  take?: number;
}

export interface GrpcioOutcome<O extends DescMessage> {
  /** grpcio's name for the status: OK, INVALID_ARGUMENT, … */
  code: string;
  details: string;
  responses: MessageShape<O>[];
  /** Response headers and trailers as grpcio saw them, binary values in base64. */
  initial: Array<[string, string]>;
  trailing: Array<[string, string]>;
}

/** Makes one call with grpcio, answering what grpcio reported. */
export function grpcioCall<I extends DescMessage, O extends DescMessage>(call: GrpcioCall<I>, output: O): Promise<GrpcioOutcome<O>> {
  const { input, request, ...rest } = call;
  const stdin = JSON.stringify({ ...rest, request: Buffer.from(toBinary(input, request)).toString("base64") });
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`grpcio-call.py failed: ${error.message}\n${stderr}`));
      const outcome = JSON.parse(stdout) as Omit<GrpcioOutcome<O>, "responses"> & { responses: string[] };
      resolve({ ...outcome, responses: outcome.responses.map((r) => fromBinary(output, Buffer.from(r, "base64"))) });
    });
    child.stdin!.end(stdin);
  });
}
