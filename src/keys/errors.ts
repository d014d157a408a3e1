/**
 * Errors for keys and onion addresses that come from outside (config files,
 * key files, descriptors, consensus documents).
 *
 * Role: one class with a `kind` (arti `err.rs` style). A key-file error also
 * names the file; no message ever contains key material.
 *
 * @module
 */

/** What is wrong with a key, a key file or an address. */
export type KeyErrorKind =
  /** A 16-character v2 onion address (Tor removed v2 onion services). */
  | "V2Address"
  /** Wrong length of an address, a key or a key file. */
  | "BadLength"
  /** An onion address that is not base32. */
  | "NotBase32"
  /** An onion address whose checksum does not match. */
  | "BadChecksum"
  /** An onion address whose version byte is not 3. */
  | "BadVersion"
  /** Bytes that are not a usable ed25519 key (not a point, identity, torsion). */
  | "InvalidKey"
  /** A key file of a known format with malformed content (header, armor, DER, base64). */
  | "BadKeyFile"
  /**
   * A key file in a format we recognise but do not accept (public-key file, RSA, an
   * encryption scheme we cannot read).
   */
  | "UnsupportedKeyFile"
  /** An encrypted key file (`ENCRYPTED PRIVATE KEY`) read without a passphrase. */
  | "PassphraseRequired"
  /** An encrypted key file that the passphrase given does not decrypt (or whose encryption OpenSSL cannot read). */
  | "WrongPassphrase"
  /** A key file in no format we recognise. */
  | "UnknownKeyFormat"
  /** A key file that cannot be read (missing, no permission); the cause says why. */
  | "Unreadable"
  /** A secret key file that group or others may access (mode & 0o077); it was not read. */
  | "InsecurePermissions"
  /** A relay identity (RSA fingerprint, ed25519 id) that is malformed. */
  | "BadRelayId";

/** Options of {@link KeyError}. */
export interface KeyErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The key file concerned, if any. */
  file?: string;
}

/** A malformed onion address, key or key file. The message says what is wrong. */
export class KeyError extends Error {
  override name = "KeyError";
  /** Which rule the input broke. */
  readonly kind: KeyErrorKind;
  /** The key file concerned, if the input came from a file. */
  readonly file: string | undefined;

  /**
   * @param kind Which rule the input broke.
   * @param message A std-style message.
   * @param options The underlying `cause` and the file, if any.
   */
  constructor(kind: KeyErrorKind, message: string, options: KeyErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.kind = kind;
    this.file = options.file;
  }
}
