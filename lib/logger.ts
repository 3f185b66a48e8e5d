import { pino, type Logger } from "pino";

export type { Logger };

/**
 * One JSON line per event on stdout, each carrying the service and its
 * version so lines from several versions can be told apart.
 */
export function createLogger(options: { service: string; version: string; level?: string }): Logger {
  return pino({
    level: options.level ?? "info",
    base: { service: options.service, version: options.version },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that writes nothing, for tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
