import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import type { LogFormat } from "./config.js";
import { traceFields } from "./telemetry.js";

export type { Logger };

/** The fields of an access line (request-log.ts) that the text format puts in the message. */
const ACCESS_FIELDS = [
  { key: "httpMethod", format: "{httpMethod}" },
  { key: "path", format: "{path}" },
  { key: "rpc", format: "{rpc}" },
  { key: "code", format: "{code}" },
  { key: "status", format: "{status}" },
  { key: "durationMs", format: "{durationMs} ms" },
];

/**
 * One line per event on stdout, each carrying the service and its version so
 * lines from several versions can be told apart: a JSON object (the default
 * off a terminal: log collectors read it), or, for people, pino-pretty's text
 * ("INFO (chillybin): request …") written synchronously in this process, so
 * the bundles need no transport worker.
 *
 * Both write each line as it comes. pino's own stdout default writes in the
 * background, holds the lines logged meanwhile, and writes what it still
 * holds at exit: a held line whose reader had gone (npm start's launcher
 * killed) kept the process from ever exiting, as sonic-boom 4.2's flushSync
 * retries every failed write, EPIPE too, forever. Written at once, a line to
 * a closed pipe fails at once and pino stops writing. Measured on gRPC Pick
 * with every access line written: the same CPU per call either way.
 */
export function createLogger(options: {
  service: string;
  version: string;
  level?: string;
  format?: LogFormat;
  /** Where lines go: stdout unless given (tests read them). */
  destination?: NodeJS.WritableStream;
}): Logger {
  const settings = {
    level: options.level ?? "info",
    base: { service: options.service, version: options.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    // trace_id and span_id of the call a line belongs to, so logs and traces meet.
    mixin: traceFields,
  };
  if (options.format !== "pretty") return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    settings,
    pretty({
      sync: true,
      destination: options.destination ?? 1,
      colorize: options.destination === undefined && process.stdout.isTTY === true,
      singleLine: true,
      translateTime: "HH:MM:ss.l",
      // An access line reads "chillybin request GET /pick chillybin.v1.ChillybinService/Pick not_found 404 3.1 ms".
      messageFormat: `{service} {msg}${ACCESS_FIELDS.map((f) => `{if ${f.key}} ${f.format}{end}`).join("")}`,
      ignore: ["pid", "hostname", "version", "service", ...ACCESS_FIELDS.map((f) => f.key)].join(","),
    }),
  );
}

/** A logger that writes nothing, for tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
