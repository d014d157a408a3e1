/**
 * Splits a network document into items: a keyword line with arguments, and
 * an optional object (`-----BEGIN TAG-----` … `-----END TAG-----`).
 *
 * Spec: dir-spec §1.2 "Document meta-format" —
 * https://spec.torproject.org/dir-spec/netdoc.html; tor
 * `parsecommon.c: get_next_token`.
 *
 * ```
 * Item       = KeywordLine Object?
 * KeywordLine = Keyword (WS Argument)* NL
 * Keyword    = KeywordChar+ ; KeywordChar = A-Z a-z 0-9 -
 * Object     = "-----BEGIN " Tag "-----" NL base64 lines "-----END " Tag "-----" NL
 * ```
 *
 * Role: lexing only; which keywords are allowed where is `rules.ts`. The text
 * is a "binary string" (one char per byte, see {@link bytesToText}) so that
 * offsets are byte offsets, which the descriptor signature needs. The last
 * line may lack its `\n` (C tor leaves it off the middle layer, stem off the
 * outer and inner documents). Stricter than tor: no blank lines, no `#`
 * comments, no `opt` prefix, no control characters other than tab.
 *
 * @module
 */

import { BytesError, fromBase64 } from "../bytes/mod.ts";
import { type NetdocDocument, NetdocSyntaxError } from "./errors.ts";

/** An object after a keyword line: its tag and its decoded body. */
export interface NetdocObject {
  /** The tag between `-----BEGIN ` and `-----`, e.g. `ED25519 CERT`. */
  readonly tag: string;
  /** The base64-decoded body. */
  readonly body: Uint8Array;
}

/** One item of a document. */
export interface NetdocItem {
  /** The keyword. */
  readonly keyword: string;
  /** The arguments, split on runs of spaces and tabs. */
  readonly args: readonly string[];
  /** Everything after the keyword and its separator, unsplit (tor `CONCAT_ARGS`). */
  readonly rest: string;
  /** The object, if any. */
  readonly object: NetdocObject | undefined;
  /** 1-based line number of the keyword line (plus the caller's `lineOffset`). */
  readonly line: number;
  /** Offset of the keyword line's first byte in the text. */
  readonly start: number;
}

/** Options of {@link tokenize}. */
export interface TokenizeOptions {
  /** Which document this is, for errors. */
  document: NetdocDocument;
  /** Added to every line number (when `text` is a section of a larger text). */
  lineOffset?: number;
}

const KEYWORD_RE = /^[A-Za-z0-9][A-Za-z0-9-]*/;
// deno-lint-ignore no-control-regex -- looking for control characters is the point
const BAD_CHAR_RE = /[\x00-\x08\x0a-\x1f\x7f]/;
const NOT_ASCII_RE = /[\x80-\uffff]/;
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true }); // a BOM stays, and is not ASCII

/**
 * Turns bytes into a "binary string" with one char (code 0–255) per byte.
 *
 * @param bytes The document bytes.
 * @returns A string whose offsets are byte offsets.
 */
export function bytesToText(bytes: Uint8Array): string {
  // ASCII (every document tor writes) decodes the same as UTF-8, in native code.
  const ascii = utf8.decode(bytes);
  if (!NOT_ASCII_RE.test(ascii)) return ascii;
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/**
 * The bytes of a binary string made by {@link bytesToText}.
 *
 * @param text A string whose chars are all below 256.
 * @returns One byte per char.
 * @throws {RangeError} When a char is above 255.
 */
export function textToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError("Cannot convert text to bytes: not a binary string");
    out[i] = c;
  }
  return out;
}

/** The lines of a text, read one after the other: tor `get_next_token`'s `*s` pointer. */
class LineReader {
  /** Offset of the next line's first byte. */
  pos = 0;
  /** 1-based number of the next line. */
  line = 1;

  constructor(readonly text: string) {}

  /** Whether every line has been read. */
  get done(): boolean {
    return this.pos >= this.text.length;
  }

  /** The next line without its `\n` (the last line may lack one); moves past it. */
  next(): string {
    const { text } = this;
    const eol = text.indexOf("\n", this.pos);
    const end = eol < 0 ? text.length : eol;
    const content = text.slice(this.pos, end);
    this.pos = eol < 0 ? text.length : eol + 1;
    this.line++;
    return content;
  }
}

/**
 * Splits `text` into items.
 *
 * @param text The document as a binary string (see {@link bytesToText}).
 * @param options The document name for errors, and a line offset.
 * @returns The items in order.
 * @throws {NetdocSyntaxError} `BadCharacter`, `BadKeywordLine` or `BadObject`.
 */
export function tokenize(text: string, options: TokenizeOptions): NetdocItem[] {
  const { document } = options;
  const lineOffset = options.lineOffset ?? 0;
  const items: NetdocItem[] = [];
  const lines = new LineReader(text);
  while (!lines.done) {
    const start = lines.pos;
    const here = lines.line + lineOffset;
    const content = lines.next();
    if (BAD_CHAR_RE.test(content)) {
      throw new NetdocSyntaxError("BadCharacter", document, "control character in line", {
        line: here,
      });
    }
    const keyword = KEYWORD_RE.exec(content)?.[0];
    const after = keyword === undefined ? "" : content.slice(keyword.length);
    if (keyword === undefined || (after !== "" && after[0] !== " " && after[0] !== "\t")) {
      const what = content === "" ? "empty line" : "line does not start with a keyword";
      throw new NetdocSyntaxError("BadKeywordLine", document, what, { line: here });
    }
    const rest = after.replace(/^[ \t]+/, "");
    const args = rest.split(/[ \t]+/).filter((a) => a !== "");
    const object = text.startsWith("-----BEGIN ", lines.pos)
      ? readObject(lines, { document, line: here + 1, keyword })
      : undefined;
    items.push({ keyword, args, rest, object, line: here, start });
  }
  return items;
}

/**
 * Reads an object from its `-----BEGIN` line to its `-----END` line (dir-spec §1.2
 * "Object"; tor `get_next_token`, from "Check whether there's an object present").
 *
 * @param at The object's document, first line number and keyword, for errors.
 */
function readObject(
  lines: LineReader,
  at: { document: NetdocDocument; line: number; keyword: string },
): NetdocObject {
  const fail = (detail: string, cause?: unknown) =>
    new NetdocSyntaxError("BadObject", at.document, detail, {
      line: at.line,
      keyword: at.keyword,
      cause,
    });
  const begin = lines.next();
  if (begin.length < 16 || !begin.endsWith("-----")) throw fail("malformed BEGIN line");
  const tag = begin.slice(11, -5);
  const body: string[] = [];
  for (;;) {
    if (lines.done) throw fail(`object "${tag}" has no END line`);
    const content = lines.next();
    if (content.startsWith("-----")) {
      if (content !== `-----END ${tag}-----`) {
        throw fail(`object "${tag}" has a mismatched END line`);
      }
      break;
    }
    body.push(content);
  }
  try {
    return { tag, body: fromBase64(body.join("")) };
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw fail(`object "${tag}" is not base64`, cause);
  }
}
