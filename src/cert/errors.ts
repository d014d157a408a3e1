/**
 * The error thrown when an Ed25519 certificate cannot be decoded or does not
 * verify.
 *
 * Spec: cert-spec §2.1 (format), §2.2.1 (extensions); tor
 * `torcert.c: tor_cert_parse, tor_cert_checksig`.
 *
 * Role: one class with a `kind` (arti `CertError`); document parsers in
 * `src/netdoc/` wrap it with the line and keyword where the cert appeared.
 *
 * @module
 */

/** Which rule a certificate broke. */
export type CertErrorKind =
  /** Fewer bytes than the format needs. */
  | "Truncated"
  /** Bytes after the signature. */
  | "TrailingBytes"
  /** VERSION is not 1. */
  | "BadVersion"
  /** An extension whose length does not fit its type (0x04 needs 32 bytes). */
  | "BadExtension"
  /** Two signed-with-ed25519-key (0x04) extensions. */
  | "DuplicateSigningKey"
  /** An unknown extension with the AFFECTS_VALIDATION flag. */
  | "UnknownCriticalExtension"
  /** CERT_TYPE is not the one the context requires. */
  | "WrongCertType"
  /** No 0x04 extension and no signing key given by the caller. */
  | "MissingSigningKey"
  /** The 0x04 extension names another key than the expected signer. */
  | "WrongSigner"
  /** `now` is after EXPIRATION_DATE. */
  | "Expired"
  /** The ed25519 signature does not verify. */
  | "BadSignature";

/** A certificate that cannot be decoded or does not verify. */
export class CertError extends Error {
  override name = "CertError";
  /** Which rule the certificate broke. */
  readonly kind: CertErrorKind;

  /**
   * @param kind Which rule the certificate broke.
   * @param message A std-style message: capital first letter, no trailing period.
   * @param options The underlying `cause`, if any.
   */
  constructor(kind: CertErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.kind = kind;
  }
}
