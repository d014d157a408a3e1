/**
 * Errors of the Tor control-port client, following stem's tree (`stem/__init__.py`:
 * `ControllerError` → `ProtocolError`, `OperationFailed`, `SocketClosed`, …).
 *
 * Spec: control-spec §4 "Replies" (reply codes).
 *
 * Role: every failure of `src/control/` is one of these classes, so the balancer can tell a dead
 * tor ({@link ControlSocketClosed}), a slow one ({@link ControlTimeoutError}), a refusal
 * ({@link ControlOperationFailed} with its `code`), a broken peer ({@link ControlProtocolError}) and
 * an operator mistake ({@link ControlAuthError}, {@link ControlConnectError},
 * {@link ControlVersionError}) apart. Messages never contain cookies, passwords or key material.
 *
 * @module
 */

/** Base class of every control-port error. */
export class ControlError extends Error {
  override name = "ControlError";

  /**
   * @param message What went wrong, in std message style.
   * @param options The underlying `cause`, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** What exactly was malformed in a {@link ControlProtocolError}. */
export type ControlProtocolErrorKind =
  | "MalformedLine"
  | "BareLineFeed"
  | "MixedStatus"
  | "LineTooLong"
  | "ReplyTooLarge"
  | "UnexpectedReply"
  | "MalformedQuotedString"
  | "MalformedReply"
  | "NotTorControlPort";

/**
 * The peer broke the control protocol: a line without CRLF, a bad status code or divider, a reply
 * nobody asked for, a value that does not parse. The connection is closed when this happens.
 */
export class ControlProtocolError extends ControlError {
  override name = "ControlProtocolError";
  /** What was malformed. */
  readonly kind: ControlProtocolErrorKind;

  /**
   * @param kind What was malformed.
   * @param message Details, in std message style.
   * @param options The underlying `cause`, if any.
   */
  constructor(kind: ControlProtocolErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/** Tor answered a command with an error code (4xx or 5xx), e.g. `552 Unrecognized key "x"`. */
export class ControlOperationFailed extends ControlError {
  override name = "ControlOperationFailed";
  /** The reply's status code, e.g. 552. */
  readonly code: number;
  /** The text of the reply's first line, e.g. `Unrecognized key "x"`. */
  readonly replyText: string;

  /**
   * @param code The status code.
   * @param replyText The text after the code.
   * @param message The full message, in std message style.
   */
  constructor(code: number, replyText: string, message: string) {
    super(message);
    this.code = code;
    this.replyText = replyText;
  }
}

/** The control connection is closed (by tor, by the network, or by us) or not open. */
export class ControlSocketClosed extends ControlError {
  override name = "ControlSocketClosed";
}

/** A request or a wait did not finish before its deadline. */
export class ControlTimeoutError extends ControlError {
  override name = "ControlTimeoutError";
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param message What timed out, in std message style.
   * @param timeoutMs The deadline in milliseconds.
   * @param options The underlying `cause`, if any.
   */
  constructor(message: string, timeoutMs: number, options?: ErrorOptions) {
    super(message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The control port or socket could not be reached at all. */
export class ControlConnectError extends ControlError {
  override name = "ControlConnectError";
}

/** Why authentication failed, in a {@link ControlAuthError}. */
export type ControlAuthErrorKind =
  | "NoUsableMethod"
  | "PasswordRequired"
  | "PasswordUnreadable"
  | "PasswordFileInsecure"
  | "CookieUnreadable"
  | "CookieWrongSize"
  | "ServerHashMismatch"
  | "Rejected";

/** Authentication to tor failed; the message says what the operator should check. */
export class ControlAuthError extends ControlError {
  override name = "ControlAuthError";
  /** Why authentication failed. */
  readonly kind: ControlAuthErrorKind;

  /**
   * @param kind Why authentication failed.
   * @param message Details, in std message style.
   * @param options The underlying `cause`, if any.
   */
  constructor(kind: ControlAuthErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/** The tor behind the control port is older than the minimum we support. */
export class ControlVersionError extends ControlError {
  override name = "ControlVersionError";
  /** The version tor reported. */
  readonly version: string;
  /** The minimum version required. */
  readonly minimum: string;

  /**
   * @param version The version tor reported.
   * @param minimum The minimum version required.
   * @param message Details, in std message style.
   */
  constructor(version: string, minimum: string, message: string) {
    super(message);
    this.version = version;
    this.minimum = minimum;
  }
}
