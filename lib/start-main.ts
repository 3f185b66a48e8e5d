import { ConfigError } from "./config.js";

/**
 * Runs a service's start-up; a failure (a bad setting, an unreachable
 * database) prints one clear line and exits 1 instead of a stack dump.
 */
export async function startMain(start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    const message = error instanceof ConfigError ? `configuration: ${error.message}` : String(error instanceof Error ? error.message : error);
    process.stderr.write(`start-up failed: ${message}\n`);
    process.exit(1);
  }
}
