/**
 * Errors of the descriptor pipeline and of the descriptor builder.
 *
 * Spec: rend-spec-v3 §2.4–§2.5 [DESC-OUTER], [HS-DESC-ENCRYPTION-KEYS];
 * arti `tor-netdoc/src/doc/hsdesc.rs: HsDescError`.
 *
 * Role: {@link HsDescError} says at which stage a backend descriptor failed,
 * so the scheduler can tell a bad HSDir (outer parse/verify) from a bad or
 * mis-addressed backend (decrypt) from a malformed inner document; its
 * `cause` holds the {@link NetdocSyntaxError} or `CertError` with the line.
 * {@link HsDescTooLargeError} is what the builder throws instead of
 * producing a descriptor tor would refuse.
 *
 * @module
 */

/** Where in the pipeline a descriptor failed (house style §6.4). */
export type HsDescStage =
  | "outer-parse"
  | "outer-verify"
  | "decrypt"
  | "inner-parse"
  | "inner-verify";

/** What went wrong, within a stage. */
export type HsDescErrorKind =
  /** The text is malformed; `cause` is a `NetdocSyntaxError`. */
  | "Syntax"
  /** A certificate does not verify; `cause` is a `CertError`. */
  | "BadCert"
  /** The descriptor signature does not verify. */
  | "BadSignature"
  /** The signing-key cert names a blinded key that none of the given time periods give. */
  | "WrongBlindedKey"
  /** A layer's MAC does not match (wrong address or period, or corrupted). */
  | "MacMismatch"
  /** The inner layer needs a client key and none was given (tor `NEED_CLIENT_AUTH`). */
  | "NeedsClientAuth"
  /** The client key given does not open the inner layer (tor `BAD_CLIENT_AUTH`). */
  | "BadClientAuth"
  /** More usable introduction points than a client accepts (20). */
  | "TooManyIntroPoints";

/** Options of {@link HsDescError}. */
export interface HsDescErrorOptions {
  /** The underlying error (a `NetdocSyntaxError` or `CertError`). */
  cause?: unknown;
}

/**
 * A backend descriptor that cannot be used, e.g. `Cannot use descriptor
 * (decrypt): MAC mismatch in the middle layer`.
 */
export class HsDescError extends Error {
  override name = "HsDescError";
  /** Which stage failed. */
  readonly stage: HsDescStage;
  /** What went wrong. */
  readonly kind: HsDescErrorKind;

  /**
   * @param stage Which stage failed.
   * @param kind What went wrong.
   * @param detail Details, lowercase first (they follow a colon).
   * @param options The cause.
   */
  constructor(
    stage: HsDescStage,
    kind: HsDescErrorKind,
    detail: string,
    options: HsDescErrorOptions = {},
  ) {
    super(`Cannot use descriptor (${stage}): ${detail}`, { cause: options.cause });
    this.stage = stage;
    this.kind = kind;
  }
}

/**
 * A built descriptor that is at least as large as the HSDirs' limit
 * (`HSV3MaxDescriptorSize`, default 50000 bytes; tor refuses `size >= limit`).
 */
export class HsDescTooLargeError extends RangeError {
  override name = "HsDescTooLargeError";
  /** The descriptor's size in bytes. */
  readonly size: number;
  /** The limit it reached. */
  readonly limit: number;

  /**
   * @param size The descriptor's size in bytes.
   * @param limit The limit.
   * @param introPoints How many introduction points it had (for the message).
   */
  constructor(size: number, limit: number, introPoints: number) {
    super(
      `Cannot publish descriptor: ${size} bytes with ${introPoints} introduction point(s), the limit is ${
        limit - 1
      } bytes; use fewer introduction points`,
    );
    this.size = size;
    this.limit = limit;
  }
}
