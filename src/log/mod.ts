/**
 * Logging: a levelled logger in OnionBalance's line format, with arti-style redaction of onion
 * addresses at info level and above.
 *
 * Spec: none (OnionBalance `common/log.py` format; arti `safelog` redaction).
 *
 * Role: the lowest layer beside `bytes`; every other folder may take a {@link Logger} in its
 * options. No module-level logger exists: construct one in `main.ts` and pass it down.
 *
 * @example
 * ```ts
 * import { Logger } from "./mod.ts";
 * const log = new Logger({ level: "info", sink: () => {} });
 * log.warning("Tor control connection lost; reconnecting");
 * ```
 *
 * @module
 */

export {
  formatLogLine,
  LOG_LEVELS,
  Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  type LogSink,
  parseLogLevel,
} from "./logger.ts";
export { errorMessage } from "./error_message.ts";
export { redactOnionAddresses } from "./redact.ts";
