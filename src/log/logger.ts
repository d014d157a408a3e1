/**
 * A small levelled logger that writes OnionBalance's line format,
 * `%(asctime)s [%(levelname)s]: %(message)s` (Python logging's default asctime,
 * `2024-05-01 13:45:12,345`, in local time).
 *
 * Spec: none; the format and level names are OnionBalance 0.2.x's (`common/log.py`), so log
 * scrapers written for it keep working.
 *
 * Role: passed explicitly to whatever needs to log (`{ log }` options), never a module-level
 * singleton. The sink is injectable; the default one writes to standard error. Messages at info
 * level and above have their onion addresses redacted (see `redact.ts`) unless `safeLogging` is
 * false. Callers must never put key material, cookies or passwords in a message.
 *
 * @module
 */

import { redactOnionAddresses } from "./redact.ts";

/** Log levels, lowest first, named as in Python's logging module. */
export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** One message, as handed to a {@link LogSink}. */
export interface LogRecord {
  /** When the message was logged. */
  readonly time: Date;
  /** Its level. */
  readonly level: LogLevel;
  /** The message, already redacted when redaction applies. */
  readonly message: string;
}

/** Receives each formatted line (without a trailing newline) and its record. */
export type LogSink = (line: string, record: LogRecord) => void;

/** Options of {@link Logger}. */
export interface LoggerOptions {
  /** Messages below this level are dropped. Default `"warning"`, as OnionBalance 0.2.2. */
  level?: LogLevel;
  /** Where lines go. Default: standard error. */
  sink?: LogSink;
  /** The clock for timestamps. Default `() => new Date()`. */
  now?: () => Date;
  /** Redact onion addresses at info level and above. Default `true`. */
  safeLogging?: boolean;
}

const encoder = new TextEncoder();

/** The default sink: one line on standard error. */
function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/**
 * Formats a record the way OnionBalance does: `2024-05-01 13:45:12,345 [WARNING]: message`.
 *
 * @param record The record to format.
 * @returns The line, without a newline.
 */
export function formatLogLine(record: LogRecord): string {
  const t = record.time;
  const date = `${t.getFullYear()}-${pad(t.getMonth() + 1, 2)}-${pad(t.getDate(), 2)}`;
  const time = `${pad(t.getHours(), 2)}:${pad(t.getMinutes(), 2)}:${pad(t.getSeconds(), 2)}`;
  return `${date} ${time},${
    pad(t.getMilliseconds(), 3)
  } [${record.level.toUpperCase()}]: ${record.message}`;
}

/**
 * Parses a level name as given on the command line or in `ONIONBALANCE_LOG_LEVEL`.
 *
 * @param name A level name, any case (`"info"`, `"WARNING"`).
 * @returns The level.
 * @throws {RangeError} If `name` is not a level.
 */
export function parseLogLevel(name: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === name.toLowerCase());
  if (level === undefined) {
    throw new RangeError(
      `Cannot parse log level "${name}": expected one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  return level;
}

/**
 * A levelled logger with an injectable sink and clock.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = new Logger({ level: "info", sink: (line) => lines.push(line) });
 * log.debug("not shown");
 * log.info("Fetching 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion");
 * if (!lines[0]?.endsWith("[INFO]: Fetching ???sid.onion")) throw new Error(lines[0]);
 * ```
 */
export class Logger {
  /** The lowest level this logger writes. */
  readonly level: LogLevel;
  readonly #sink: LogSink;
  readonly #now: () => Date;
  readonly #safeLogging: boolean;

  /** @param options Level, sink, clock and redaction; see {@link LoggerOptions}. */
  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? "warning";
    this.#sink = options.sink ?? stderrSink;
    this.#now = options.now ?? (() => new Date());
    this.#safeLogging = options.safeLogging ?? true;
  }

  /** Whether a message at `level` would be written. */
  isEnabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  /** Writes `message` at `level` if that level is enabled. */
  log(level: LogLevel, message: string): void {
    if (!this.isEnabled(level)) return;
    const redact = this.#safeLogging && level !== "debug";
    const record = {
      time: this.#now(),
      level,
      message: redact ? redactOnionAddresses(message) : message,
    };
    this.#sink(formatLogLine(record), record);
  }

  /** Logs at debug level (onion addresses are not redacted at this level). */
  debug(message: string): void {
    this.log("debug", message);
  }

  /** Logs at info level. */
  info(message: string): void {
    this.log("info", message);
  }

  /** Logs at warning level. */
  warning(message: string): void {
    this.log("warning", message);
  }

  /** Logs at error level. */
  error(message: string): void {
    this.log("error", message);
  }

  /** Logs at critical level. */
  critical(message: string): void {
    this.log("critical", message);
  }
}
