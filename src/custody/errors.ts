/**
 * Errors of offline key bundles.
 *
 * Role: one class with a `kind` (arti `err.rs` style). Messages name the
 * bundle file and never contain key material.
 *
 * @module
 */

/** What is wrong with a bundle. */
export type BundleErrorKind =
  /** Not a bundle, an unknown version, or a malformed line. */
  | "BadBundle"
  /** The digest does not match the content (a damaged or edited file). */
  | "BadDigest"
  /** A certificate or key that does not verify against the bundle's identity. */
  | "BadCertificate"
  /** The bundle is encrypted and no passphrase was given, or the passphrase is wrong. */
  | "Passphrase"
  /** The request cannot be met (no period in the span, too many periods). */
  | "BadSpan";

/** A bundle that cannot be made, read or used. The message says why. */
export class BundleError extends Error {
  override name = "BundleError";
  /** Which rule the bundle broke. */
  readonly kind: BundleErrorKind;

  /**
   * @param kind Which rule the bundle broke.
   * @param message A std-style message, naming the file when there is one.
   * @param options The underlying error.
   */
  constructor(kind: BundleErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.kind = kind;
  }
}
