// `npm run verify-changed-pact`: what the broker calls when a changed pact
// needs chillybin's verification. It listens on 127.0.0.1 (port
// VERIFY_CHANGED_PACT_PORT, default 9294), registers its webhook with the
// broker at PACT_BROKER_BASE_URL for `contract_requiring_verification_published`,
// and for each call verifies exactly the pact URL the broker sends against this
// checkout's chillybin, publishing the result as the chillybin version and
// branch the broker names (run it from a checkout of that version, as the CI
// job a hosted broker's webhook would start does).
//
// The endpoint answers 202 at once (the broker waits for no verification) and
// verifies one pact at a time; a call it cannot take (a bad body, a pact from
// another broker, a full queue) gets a 4xx/503 naming why, and the broker's
// retries bring it back.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { startScratchChillybin } from "../support/scratch-chillybin.js";
import { onePactVerification, verifyProvider } from "./chillybin-provider.js";
import { type BrokerSettings, brokerSettings, pactBroker } from "./pact-broker-cli.js";
import { PROVIDER } from "./provider-states.js";

/** The webhook's id in the broker: registering again updates it rather than adding another. */
export const WEBHOOK_UUID = "7c3c1d5e-6f0b-4a8e-9e61-2b8f3f1c9a01";
/** Where the broker POSTs. */
export const WEBHOOK_PATH = "/pact-changed";
/** Verifications waiting at most; more are refused with 503 (the broker retries later). */
const MAX_QUEUED = 8;
/** A webhook body is a few hundred bytes. */
const MAX_BODY_BYTES = 16 * 1024;

/** What the broker sends, from the template registered below. */
export interface PactChanged {
  pactUrl: string;
  providerVersionNumber: string;
  providerVersionBranch: string;
}

// biome-ignore-start lint/suspicious/noTemplateCurlyInString: ${pactbroker.…} are the broker's webhook placeholders, filled in by the broker, not by JavaScript.
const TEMPLATE = JSON.stringify({
  pactUrl: "${pactbroker.pactUrl}",
  providerVersionNumber: "${pactbroker.providerVersionNumber}",
  providerVersionBranch: "${pactbroker.providerVersionBranch}",
});
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: the placeholders end here.

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Whether two URLs reach the same server (a broker names itself by the host it was called on: localhost or 127.0.0.1). */
function sameServer(a: URL, b: URL): boolean {
  if (a.origin === b.origin) return true;
  return a.protocol === b.protocol && a.port === b.port && LOOPBACK.has(a.hostname) && LOOPBACK.has(b.hostname);
}

/** Reads a webhook call, answering it or the reason (naming the field) it cannot be taken. */
export function readPactChanged(body: string, broker: BrokerSettings): PactChanged | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  if (typeof parsed !== "object" || parsed === null) return "the body must be a JSON object";
  const call = parsed as Record<string, unknown>;
  for (const field of ["pactUrl", "providerVersionNumber", "providerVersionBranch"] as const) {
    if (typeof call[field] !== "string" || !call[field]) return `${field} must be a non-empty string`;
  }
  const { pactUrl, providerVersionNumber, providerVersionBranch } = call as unknown as PactChanged;
  let url: URL;
  try {
    url = new URL(pactUrl);
  } catch {
    return "pactUrl must be a URL";
  }
  // Only the broker's own pacts: the endpoint must not be made to fetch, and send credentials to, anywhere else.
  if (!sameServer(url, new URL(broker.url))) return `pactUrl must be a pact of the broker at ${broker.url}, not of ${url.origin}`;
  return { pactUrl, providerVersionNumber, providerVersionBranch };
}

/** Registers (or updates) the broker's webhook that calls `endpoint`. */
export async function registerWebhook(endpoint: string): Promise<void> {
  const { code, output } = await pactBroker(
    [
      "create-or-update-webhook",
      endpoint,
      "--uuid",
      WEBHOOK_UUID,
      "--request",
      "POST",
      "--header",
      "Content-Type: application/json",
      "--data",
      TEMPLATE,
      "--provider",
      PROVIDER,
      "--contract-requiring-verification-published",
      "--description",
      `${PROVIDER}: verify a changed pact (npm run verify-changed-pact)`,
    ],
    { echo: false },
  );
  if (code !== 0) throw new Error(`registering the webhook failed (exit ${code}): ${output}`);
}

/** Verifies one changed pact and publishes the result (a failure is a result too). */
async function verify(call: PactChanged, broker: BrokerSettings): Promise<void> {
  const chillybin = await startScratchChillybin({ version: call.providerVersionNumber });
  try {
    await verifyProvider(
      chillybin,
      onePactVerification({ broker, providerVersion: call.providerVersionNumber, providerVersionBranch: call.providerVersionBranch }, call.pactUrl),
    );
    console.log(`verified ${call.pactUrl} as ${PROVIDER} ${call.providerVersionNumber} (${call.providerVersionBranch}): passed, published`);
  } catch (error) {
    console.log(`verified ${call.pactUrl} as ${PROVIDER} ${call.providerVersionNumber}: FAILED, published: ${(error as Error).message.slice(0, 500)}`);
  } finally {
    await chillybin.stop();
  }
}

/** Verifications run one after another, at most MAX_QUEUED waiting. */
function verificationQueue(broker: BrokerSettings) {
  let queued = 0;
  let tail = Promise.resolve();
  return {
    offer(call: PactChanged): boolean {
      if (queued >= MAX_QUEUED) return false;
      queued++;
      tail = tail.then(() => verify(call, broker).finally(() => queued--));
      return true;
    },
    idle: () => tail,
  };
}

function answer(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** The body, or undefined when it is over MAX_BODY_BYTES (the rest is read and dropped, so the answer reaches the caller). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let body: string | undefined = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      if (body === undefined) return;
      body += chunk;
      if (body.length > MAX_BODY_BYTES) body = undefined;
    });
    req.once("end", () => resolve(body));
    req.once("error", reject);
  });
}

export async function main(): Promise<void> {
  const broker = brokerSettings();
  const port = Number(process.env.VERIFY_CHANGED_PACT_PORT ?? 9294);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`VERIFY_CHANGED_PACT_PORT must be a port number, not "${process.env.VERIFY_CHANGED_PACT_PORT}"`);
  const queue = verificationQueue(broker);
  const server = createServer(async (req, res) => {
    if (req.url !== WEBHOOK_PATH) return answer(res, 404, { error: `the only path is POST ${WEBHOOK_PATH}` });
    if (req.method !== "POST") return answer(res, 405, { error: "only POST" }, { allow: "POST" });
    const body = await readBody(req).catch(() => null);
    if (body === null) return res.destroy(); // the caller went away mid-body
    if (body === undefined) return answer(res, 413, { error: `the body must be at most ${MAX_BODY_BYTES} bytes` });
    const call = readPactChanged(body, broker);
    if (typeof call === "string") return answer(res, 400, { error: call });
    if (!queue.offer(call)) return answer(res, 503, { error: `${MAX_QUEUED} verifications are waiting already` }, { "retry-after": "30" });
    answer(res, 202, { accepted: call });
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}${WEBHOOK_PATH}`;
  await registerWebhook(endpoint);
  console.log(`listening on ${endpoint}; the broker at ${broker.url} calls it when a pact needs ${PROVIDER}'s verification`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      server.close();
      // What was accepted is verified before exiting.
      void queue.idle().then(() => process.exit(0));
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
