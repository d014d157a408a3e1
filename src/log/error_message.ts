/**
 * The text of a caught value for a log line: an `Error`'s message, anything
 * else as a string (`catch` receives `unknown`).
 *
 * @module
 */

/** `error.message` for an `Error`, `String(error)` for anything else. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
