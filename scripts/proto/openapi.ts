// The OpenAPI documents of the services' REST surfaces, as written to
// gen/openapi by `npm run generate` (each service also serves its own at
// GET /openapi.json, with its running version).
import { readFileSync } from "node:fs";
import * as v1 from "../../gen/chillybin/v1/chillybin_pb.js";
import * as v2 from "../../gen/chillybin/v2/chillybin_pb.js";
import { JafflrService } from "../../gen/jafflr/v1/jafflr_pb.js";
import { openApiDocument, type OpenApiDocument } from "../../lib/transcoding/index.js";
import { ADMIN_RPCS } from "../../services/chillybin/chillybin-server.js";

export const OPENAPI_DIR = "gen/openapi";

/** Each service's document; chillybin's Restock needs a bearer token when CHILLYBIN_ADMIN_TOKEN is set. */
export function openApiDocuments(): Record<"chillybin" | "jafflr", OpenApiDocument> {
  const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
  return {
    chillybin: openApiDocument([v1.ChillybinService, v2.ChillybinService], { title: "chillybin", version, bearerRpcs: ADMIN_RPCS }),
    jafflr: openApiDocument([JafflrService], { title: "jafflr", version }),
  };
}
