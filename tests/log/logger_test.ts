import assert from "node:assert/strict";
import { formatLogLine, Logger, type LogRecord, parseLogLevel } from "../../src/log/mod.ts";

const ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid";

function capture(options: { level?: "debug" | "info" | "warning"; safeLogging?: boolean } = {}) {
  const lines: string[] = [];
  const records: LogRecord[] = [];
  const log = new Logger({
    ...options,
    now: () => new Date(2024, 0, 2, 3, 4, 5, 6),
    sink: (line, record) => {
      lines.push(line);
      records.push(record);
    },
  });
  return { log, lines, records };
}

Deno.test("formatLogLine() writes OnionBalance's asctime [LEVEL]: message format", () => {
  const line = formatLogLine({
    time: new Date(2024, 0, 2, 3, 4, 5, 6),
    level: "warning",
    message: "x",
  });
  assert.equal(line, "2024-01-02 03:04:05,006 [WARNING]: x");
});

Deno.test("Logger drops messages below its level and defaults to warning", () => {
  const { log, lines } = capture();
  log.debug("a");
  log.info("b");
  log.warning("c");
  log.error("d");
  log.critical("e");
  assert.deepEqual(lines.map((l) => l.slice(24)), ["[WARNING]: c", "[ERROR]: d", "[CRITICAL]: e"]);
});

Deno.test("Logger redacts onion addresses at info and above but not at debug", () => {
  const { log, lines } = capture({ level: "debug" });
  log.debug(`fetching ${ADDRESS}.onion`);
  log.info(`fetching ${ADDRESS}.onion`);
  log.error(`HS_DESC FAILED ${ADDRESS} NO_AUTH`);
  assert.deepEqual(lines.map((l) => l.slice(24)), [
    `[DEBUG]: fetching ${ADDRESS}.onion`,
    "[INFO]: fetching ???sid.onion",
    "[ERROR]: HS_DESC FAILED ???sid NO_AUTH",
  ]);
});

Deno.test("Logger does not redact when safe logging is off", () => {
  const { log, records } = capture({ level: "info", safeLogging: false });
  log.info(`${ADDRESS}.onion`);
  assert.equal(records[0]?.message, `${ADDRESS}.onion`);
});

Deno.test("parseLogLevel() accepts any case and rejects unknown names", () => {
  assert.equal(parseLogLevel("WARNING"), "warning");
  assert.equal(parseLogLevel("debug"), "debug");
  assert.throws(() => parseLogLevel("verbose"), RangeError);
});
