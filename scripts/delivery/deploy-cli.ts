// `npm run deploy -- <environment> [--dry-run]`: see deploy.ts.
import { deployCommand } from "./deploy.js";

process.exit(await deployCommand(process.argv.slice(2), process.cwd()));
