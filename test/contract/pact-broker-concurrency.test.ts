// The broker as CI and webhooks use it at once: pacts and verification results
// published while others read the matrix. With SQLite (a local broker's and
// these tests' database) such calls failed with 500 "database is locked"
// until ops/pact-broker/config.ru made the threads take turns.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PACT_FILE } from "../../scripts/contract/provider-states.js";
import { INSTALL_TIMEOUT_MS, startTestPactBroker, type TestPactBroker } from "../support/pact-broker.js";

const WRITERS = 3;
const VERSIONS_EACH = 8;
const READERS = 3;

describe("contract: the Pact Broker under concurrent calls", function () {
  this.timeout(120_000);
  let broker: TestPactBroker;

  before(async function () {
    this.timeout(INSTALL_TIMEOUT_MS);
    broker = await startTestPactBroker();
  });
  after(() => broker?.stop());

  it(`${WRITERS} clients publish ${VERSIONS_EACH} pacts and verifications each while ${READERS} read the matrix: no call fails, none is lost`, async () => {
    const pact = JSON.parse(readFileSync(PACT_FILE, "utf8")) as { interactions: unknown[] };
    const failures: string[] = [];
    const call = async (method: string, url: string, body?: unknown): Promise<unknown> => {
      const response = await fetch(url, {
        method,
        headers: { accept: "application/hal+json", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) failures.push(`${method} ${url}: ${response.status} ${text}`);
      return response.ok ? JSON.parse(text) : undefined;
    };
    const publishVerified = async (version: string) => {
      // Each version's pact differs (one interaction named for it), so each is a new pact version to verify.
      const content = { ...pact, interactions: [...pact.interactions, { ...(pact.interactions[0] as object), description: `version ${version}` }] };
      const published = (await call("PUT", `${broker.url}/pacts/provider/chillybin/consumer/jafflr/version/${version}`, content)) as
        | { _links: Record<string, { href: string }> }
        | undefined;
      const results = published?._links["pb:publish-verification-results"]?.href;
      if (results) await call("POST", results, { success: true, providerApplicationVersion: `c-${version}` });
    };
    const publish = async (writer: number) => {
      for (let n = 0; n < VERSIONS_EACH; n++) await publishVerified(`w${writer}-${n}`);
    };
    // The matrix of pacticipants the broker does not know yet is a 400: one pact first.
    await publishVerified("first");
    let publishing = true;
    const read = async () => {
      while (publishing) await call("GET", broker.matrixUrl("jafflr", "chillybin"));
    };
    const readers = Array.from({ length: READERS }, read);
    await Promise.all(Array.from({ length: WRITERS }, (_, writer) => publish(writer)));
    publishing = false;
    await Promise.all(readers);

    assert.deepEqual(failures, [], `the broker wrote:\n${broker.log.join("\n")}`);
    const verified = (await broker.matrix("jafflr", "chillybin")).filter((row) => row.success).map((row) => row.consumerVersion);
    assert.equal(new Set(verified).size, 1 + WRITERS * VERSIONS_EACH, "every pact published has its verification");
  });
});
