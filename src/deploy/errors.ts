/**
 * Errors of the deployment generator.
 *
 * Role: one class with a `kind` (arti `err.rs` style). The command line maps
 * `BadInput` to a usage error (exit 2) and the others to exit 1. No message
 * ever contains key material.
 *
 * @module
 */

/** What went wrong while planning or writing a deployment. */
export type DeployErrorKind =
  /** An input the operator gave is unusable (tag, port, target, path, duplicate key or address). */
  | "BadInput"
  /** A file or folder of the deployment already exists and `force` was not given. */
  | "Exists"
  /** The file system refused a write (permissions, a file where a folder should be, disk full). */
  | "WriteFailed";

/** Options of {@link DeployError}. */
export interface DeployErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The paths concerned, if any. */
  paths?: readonly string[];
}

/** A deployment that cannot be planned or written. The message says why. */
export class DeployError extends Error {
  override name = "DeployError";
  /** Which kind of failure. */
  readonly kind: DeployErrorKind;
  /** The paths concerned (existing files for `Exists`, the failed path for `WriteFailed`). */
  readonly paths: readonly string[];

  /**
   * @param kind Which kind of failure.
   * @param message A std-style message.
   * @param options The underlying `cause` and the paths concerned.
   */
  constructor(kind: DeployErrorKind, message: string, options: DeployErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.kind = kind;
    this.paths = options.paths ?? [];
  }
}
