// `npm run generate`, last step: writes gen/openapi/<service>.json (CI checks it is fresh).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { OPENAPI_DIR, openApiDocuments } from "./openapi.js";

mkdirSync(OPENAPI_DIR, { recursive: true });
for (const [service, document] of Object.entries(openApiDocuments())) {
  const file = path.join(OPENAPI_DIR, `${service}.json`);
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
