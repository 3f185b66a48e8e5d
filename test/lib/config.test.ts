import assert from "node:assert/strict";
import {
  ConfigError,
  readBoolean,
  readByteSize,
  readDuration,
  readHttpUrl,
  readLogFormat,
  readNumber,
  readOptionalPostgresUrl,
  readPort,
  readString,
} from "../../lib/config.js";

describe("config", () => {
  const table: Array<{ case: string; read: () => unknown; expected?: unknown; error?: RegExp }> = [
    { case: "port default", read: () => readPort({}, "P", 7001), expected: 7001 },
    { case: "log format: json off a terminal", read: () => readLogFormat({}, false), expected: "json" },
    { case: "log format: pretty on a terminal", read: () => readLogFormat({}, true), expected: "pretty" },
    { case: "log format: LOG_FORMAT wins", read: () => readLogFormat({ LOG_FORMAT: "JSON" }, true), expected: "json" },
    { case: "log format: pretty asked for", read: () => readLogFormat({ LOG_FORMAT: "pretty" }, false), expected: "pretty" },
    { case: "log format: anything else", read: () => readLogFormat({ LOG_FORMAT: "xml" }, false), error: /^LOG_FORMAT must be json or pretty, got "xml"$/ },
    { case: "port blank → default", read: () => readPort({ P: " " }, "P", 7001), expected: 7001 },
    { case: "port value", read: () => readPort({ P: "8080" }, "P", 7001), expected: 8080 },
    { case: "port 0 (any)", read: () => readPort({ P: "0" }, "P", 7001), expected: 0 },
    { case: "port not a number", read: () => readPort({ P: "abc" }, "P", 7001), error: /^P must be a port number from 0 to 65535, got "abc"$/ },
    { case: "port too big", read: () => readPort({ P: "70000" }, "P", 7001), error: /P must be a port number/ },
    { case: "port negative", read: () => readPort({ P: "-1" }, "P", 7001), error: /P must be a port number/ },
    { case: "number default", read: () => readNumber({}, "N", 1), expected: 1 },
    { case: "number fraction", read: () => readNumber({ N: "0.01" }, "N", 1), expected: 0.01 },
    { case: "number below min", read: () => readNumber({ N: "-1" }, "N", 1), error: /N must be a number no smaller than 0, got "-1"/ },
    { case: "number garbage", read: () => readNumber({ N: "fast" }, "N", 1), error: /N must be a number/ },
    { case: "url default, trailing slash dropped", read: () => readHttpUrl({}, "U", "http://127.0.0.1:7001/"), expected: "http://127.0.0.1:7001" },
    { case: "url value", read: () => readHttpUrl({ U: "https://chillybin:443" }, "U", "x"), expected: "https://chillybin:443" },
    {
      case: "url not absolute",
      read: () => readHttpUrl({ U: "chillybin:7001" }, "U", "x"),
      error: /^U must be an absolute http\(s\) URL \(http:\/\/host:port\), got "chillybin:7001"$/,
    },
    { case: "url garbage", read: () => readHttpUrl({ U: "::" }, "U", "x"), error: /^U must be an absolute http\(s\) URL/ },
    { case: "database url unset", read: () => readOptionalPostgresUrl({}, "D"), expected: undefined },
    { case: "database url", read: () => readOptionalPostgresUrl({ D: "postgres://app@db:5432/stock" }, "D"), expected: "postgres://app@db:5432/stock" },
    { case: "database url, postgresql://", read: () => readOptionalPostgresUrl({ D: "postgresql://db/stock" }, "D"), expected: "postgresql://db/stock" },
    {
      case: "database url garbage",
      read: () => readOptionalPostgresUrl({ D: "notaurl" }, "D"),
      error: /^D must be a PostgreSQL URL \(postgres:\/\/user@host:port\/database\), got "notaurl"$/,
    },
    {
      case: "database url of another kind, its password not repeated",
      read: () => readOptionalPostgresUrl({ D: "mysql://app:s3/cr@t@db/stock" }, "D"),
      error: /^D must be a PostgreSQL URL \(postgres:\/\/user@host:port\/database\), got "mysql:\/\/app:\*\*\*@db\/stock"$/,
    },
    {
      case: "database url, a socket",
      read: () => readOptionalPostgresUrl({ D: "postgres:///stock?host=/run/postgresql" }, "D"),
      expected: "postgres:///stock?host=/run/postgresql",
    },
    { case: "bytes default", read: () => readByteSize({}, "B", 1024), expected: 1024 },
    { case: "bytes value", read: () => readByteSize({ B: "2048" }, "B", 1024), expected: 2048 },
    { case: "bytes zero", read: () => readByteSize({ B: "0" }, "B", 1024), error: /^B must be a whole number of bytes, at least 1, got "0"$/ },
    { case: "bytes with a unit", read: () => readByteSize({ B: "1MB" }, "B", 1024), error: /B must be a whole number of bytes/ },
    { case: "boolean default", read: () => readBoolean({}, "F", true), expected: true },
    { case: "boolean false", read: () => readBoolean({ F: "false" }, "F", true), expected: false },
    { case: "boolean of another spelling", read: () => readBoolean({ F: "no" }, "F", true), error: /^F must be true or false, got "no"$/ },
    { case: "duration default", read: () => readDuration({}, "T", 5), expected: 5 },
    { case: "duration in hours", read: () => readDuration({ T: "24h" }, "T", 5), expected: 86_400_000 },
    { case: "duration in minutes", read: () => readDuration({ T: "15m" }, "T", 5), expected: 900_000 },
    { case: "duration in seconds", read: () => readDuration({ T: "90s" }, "T", 5), expected: 90_000 },
    { case: "duration in milliseconds", read: () => readDuration({ T: "500ms" }, "T", 5), expected: 500 },
    {
      case: "duration without a unit",
      read: () => readDuration({ T: "3600" }, "T", 5),
      error: /^T must be a duration with its unit \(500ms, 90s, 15m, 24h\), got "3600"$/,
    },
    { case: "duration of zero", read: () => readDuration({ T: "0h" }, "T", 5), error: /^T must be a duration with its unit/ },
    { case: "duration in days", read: () => readDuration({ T: "1d" }, "T", 5), error: /^T must be a duration with its unit/ },
    { case: "string default", read: () => readString({}, "S", "dev"), expected: "dev" },
    { case: "string trimmed", read: () => readString({ S: " v1 " }, "S", "dev"), expected: "v1" },
  ];
  for (const t of table) {
    it(t.case, () => {
      if (t.error) assert.throws(t.read, (e: unknown) => e instanceof ConfigError && t.error!.test(e.message));
      else assert.equal(t.read(), t.expected);
    });
  }
});
