// npm ci's postinstall (and the first step of npm run generate): stages the
// .proto files buf.yaml's node_modules/.staged-proto module holds.
import { STAGE_DIR, stageProtos } from "./staged-protos.js";

for (const name of stageProtos()) console.log(`staged ${STAGE_DIR}/${name}`);
