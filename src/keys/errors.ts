/**
 * Errors for keys and onion addresses that come from outside (config files,
 * key files, descriptors).
 *
 * @module
 */

/** What is wrong with a key or an address. */
export type KeyErrorKind =
  | "V2Address"
  | "BadLength"
  | "NotBase32"
  | "BadChecksum"
  | "BadVersion"
  | "InvalidKey"
  | "BadKeyFile";

/** A malformed onion address or key. The message says what is wrong. */
export class KeyError extends Error {
  override name = "KeyError";
  /** Which rule the input broke. */
  readonly kind: KeyErrorKind;

  /**
   * @param kind Which rule the input broke.
   * @param message A std-style message.
   * @param options The underlying `cause`, if any.
   */
  constructor(kind: KeyErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.kind = kind;
  }
}
