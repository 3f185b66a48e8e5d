import { readFile } from "node:fs/promises";
import { unwatchFile, watchFile } from "node:fs";
import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";

/**
 * Where flag definitions (flagd's JSON format) come from. A source calls
 * `update` with the whole document at start and whenever it changes.
 */
export interface DefinitionsSource {
  /** Names the source in logs, e.g. "file config/flags.json". */
  readonly description: string;
  start(update: (definitions: string) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Definitions fixed at start-up, e.g. from an environment variable. */
export function staticSource(definitions: string, description: string): DefinitionsSource {
  return {
    description,
    async start(update) {
      update(definitions);
    },
    async stop() {},
  };
}

/**
 * A file, re-read whenever it changes, so an edit takes effect without a
 * restart. fs.watchFile polls the file's stat: unlike fs.watch it also sees
 * editors and ConfigMaps that replace the file instead of writing into it.
 */
export function fileSource(path: string, options: { pollMs?: number; logger: Logger }): DefinitionsSource {
  let stopped = false;
  const read = async (update: (definitions: string) => void) => {
    try {
      update(await readFile(path, "utf8"));
    } catch (error) {
      // A missing or unreadable file is broken definitions: the safe default applies.
      options.logger.error({ err: error, path }, "cannot read the flag definitions file");
      update("");
    }
  };
  return {
    description: `file ${path}`,
    async start(update) {
      await read(update);
      watchFile(path, { interval: options.pollMs ?? 1_000, persistent: false }, () => {
        if (!stopped) void read(update);
      });
    },
    async stop() {
      stopped = true;
      unwatchFile(path);
    },
  };
}

/** The table the database source reads: one row per flag, each a flagd flag definition. */
export interface FeatureFlagsTable {
  key: string;
  /** One flag as flagd defines it: state, variants, defaultVariant, targeting. */
  definition: unknown;
}

export interface FlagsDatabase {
  feature_flags: FeatureFlagsTable;
}

/**
 * The feature_flags table, polled: a changed row takes effect within one poll,
 * without a restart. While the database cannot be read, the last definitions
 * read stay in force (an outage is not a reason to change behaviour).
 */
export function databaseSource(db: Kysely<FlagsDatabase>, options: { pollMs?: number; logger: Logger }): DefinitionsSource {
  let timer: NodeJS.Timeout | undefined;
  let last: string | undefined;
  const poll = async (update: (definitions: string) => void) => {
    try {
      const rows = await db.selectFrom("feature_flags").select(["key", "definition"]).orderBy("key").execute();
      const document = JSON.stringify({ flags: Object.fromEntries(rows.map((r) => [r.key, typeof r.definition === "string" ? JSON.parse(r.definition) : r.definition])) });
      if (document !== last) {
        last = document;
        update(document);
      }
    } catch (error) {
      options.logger.error({ err: error }, "cannot read feature_flags; keeping the last definitions");
    }
  };
  return {
    description: "database table feature_flags",
    async start(update) {
      await poll(update);
      timer = setInterval(() => void poll(update), options.pollMs ?? 5_000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
    },
  };
}
