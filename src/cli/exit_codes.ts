/**
 * Process exit codes, the same as OnionBalance 0.2.x uses (`common/argparser.py`,
 * `manager.py`): 0 on success or a clean stop, 1 for a configuration, key,
 * connection or authentication error, 2 for a command-line usage error. Not
 * in OnionBalance: 130 (128 + SIGINT, the shell's convention) when the operator
 * stops `onionbalance config` with Ctrl-C or by ending its input.
 *
 * Only `main.ts` turns errors into these codes; library code throws typed errors.
 *
 * @module
 */

/** Exit codes of the `onionbalance` process. */
export const ExitCode = {
  /** Success, or stopped cleanly by SIGINT/SIGTERM. */
  Ok: 0,
  /** Configuration, key, connection or authentication error. */
  Failure: 1,
  /** Wrong command line: unknown command or flag, bad argument. */
  Usage: 2,
  /** Stopped by the operator (Ctrl-C or end of input) before anything was done. */
  Interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * An error caused by the user (command line, config file, key file), as opposed
 * to a bug. `main.ts` prints its message without a stack and exits with
 * `exitCode`.
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** The process exit code for this error. */
  readonly exitCode: ExitCode;

  /**
   * @param message What is wrong, in std message style.
   * @param options `exitCode` (default {@link ExitCode.Usage}) and `cause`.
   */
  constructor(message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? ExitCode.Usage;
  }
}

/**
 * The operator stopped an interactive command (Ctrl-C, or the end of its input)
 * before it wrote anything. `main.ts` prints the message as one line and exits
 * with {@link ExitCode.Interrupted}.
 */
export class InterruptedError extends UsageError {
  override name = "InterruptedError";

  /** @param message What was (not) done, in std message style. */
  constructor(message = "Aborted: nothing was written.") {
    super(message, { exitCode: ExitCode.Interrupted });
  }
}
