/**
 * The error thrown by the byte-level decoders of this folder.
 *
 * Role: a decoder that meets malformed input throws {@link BytesError} with a
 * `kind`; callers that parse documents wrap it into their own error with
 * context (which field, which line). Never thrown for a programming mistake.
 *
 * @module
 */

/** What went wrong while decoding bytes or text encodings. */
export type BytesErrorKind =
  | "Truncated"
  | "TrailingBytes"
  | "BadHex"
  | "BadBase64"
  | "BadBase32"
  | "BadLength";

/** Malformed input met by a decoder in `src/bytes/`. */
export class BytesError extends RangeError {
  override name = "BytesError";
  /** Which rule the input broke. */
  readonly kind: BytesErrorKind;

  /**
   * @param kind Which rule the input broke.
   * @param message A std-style message: capital first letter, no trailing period.
   */
  constructor(kind: BytesErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}
