/**
 * The one syntax error of the network-document parsers (arti `err.rs`: one
 * type with a kind, not thirty classes).
 *
 * Spec: dir-spec §1.2 (document meta-format) —
 * https://spec.torproject.org/dir-spec/netdoc.html
 *
 * Role: thrown by the tokenizer, the keyword rules and the per-layer parsers
 * for malformed input, never for a programming mistake. It says which
 * document, which line and which keyword.
 *
 * @module
 */

/** Which rule a document broke. */
export type NetdocErrorKind =
  /** A byte outside printable ASCII, space and tab in a line. */
  | "BadCharacter"
  /** A line that does not start with a keyword (e.g. an empty line). */
  | "BadKeywordLine"
  /** A `-----BEGIN …-----` block that is not closed, mismatched or not base64. */
  | "BadObject"
  /** A required keyword is absent. */
  | "MissingKeyword"
  /** A keyword that may appear once appears again. */
  | "DuplicateKeyword"
  /** The first item is not the keyword the document must start with. */
  | "WrongStartingToken"
  /** The last item is not the keyword the document must end with. */
  | "WrongEndingToken"
  /** Fewer arguments than the keyword takes. */
  | "TooFewArguments"
  /** More arguments than the keyword takes. */
  | "TooManyArguments"
  /** A keyword that needs an object has none. */
  | "MissingObject"
  /** A keyword that takes no object has one. */
  | "UnexpectedObject"
  /** An object has the wrong `BEGIN` tag (e.g. not `ED25519 CERT`). */
  | "WrongObjectType"
  /** An argument or object has a bad value (number, base64, key length, …). */
  | "BadArgument"
  /** An embedded certificate cannot be decoded or has the wrong type. */
  | "BadCert"
  /** A version this implementation does not speak. */
  | "UnsupportedVersion"
  /** The document is larger than the limit. */
  | "TooLarge";

/** Which document (or layer of one) a parser was reading. */
export type NetdocDocument = "outer" | "middle" | "inner" | "consensus";

/** Options of {@link NetdocSyntaxError}. */
export interface NetdocSyntaxErrorOptions {
  /** 1-based line number in the document (or layer plaintext), when known. */
  line?: number;
  /** The keyword of the offending item, when known. */
  keyword?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A malformed network document, e.g. `Cannot parse descriptor "outer": missing
 * keyword "revision-counter"`.
 */
export class NetdocSyntaxError extends SyntaxError {
  override name = "NetdocSyntaxError";
  /** Which rule the document broke. */
  readonly kind: NetdocErrorKind;
  /** Which document or layer. */
  readonly document: NetdocDocument;
  /** 1-based line number, when known. */
  readonly line: number | undefined;
  /** The keyword of the offending item, when known. */
  readonly keyword: string | undefined;

  /**
   * @param kind Which rule the document broke.
   * @param document Which document or layer.
   * @param detail What is wrong, lowercase first (it follows a colon).
   * @param options Line, keyword and cause.
   */
  constructor(
    kind: NetdocErrorKind,
    document: NetdocDocument,
    detail: string,
    options: NetdocSyntaxErrorOptions = {},
  ) {
    const where = options.line === undefined ? "" : ` at line ${options.line}`;
    const what = document === "consensus" ? "consensus" : `descriptor "${document}"`;
    super(`Cannot parse ${what}${where}: ${detail}`, { cause: options.cause });
    this.kind = kind;
    this.document = document;
    this.line = options.line;
    this.keyword = options.keyword;
  }
}
