// Provider side of the contract: the real chillybin, in process on a real
// database, verified against the committed pacts/.
import * as path from "node:path";
import { verifyProvider } from "../../scripts/contract/chillybin-provider.js";
import { startProvider } from "./support/chillybin-provider.js";
import { PACT_FILE } from "../../scripts/contract/provider-states.js";

describe("contract: chillybin honours jafflr's pact (provider)", function () {
  this.timeout(60_000);

  it(`verifies ${PACT_FILE}`, async () => {
    const chillybin = await startProvider("real");
    try {
      await verifyProvider(chillybin, { pactUrls: [path.resolve(PACT_FILE)] });
    } finally {
      await chillybin.stop();
    }
  });
});
