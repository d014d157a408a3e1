/**
 * Tokens inside one reply line: positional words, `KEY=value` pairs and QuotedStrings.
 *
 * Spec: control-spec §2.1.1 "Notes on an escaping bug" and §2.4 "General-use tokens"
 * (QuotedString, with C escapes), §4.1 "Asynchronous events" (positional arguments first, then
 * keyword arguments; unknown keywords must be ignored). stem `stem/response/__init__.py`
 * (`_parse_entry`, `_unescape`) is the model.
 *
 * Role: pure helpers for `auth.ts`, `getinfo.ts` and `events.ts`, and {@link quoteString} for
 * building commands. Malformed input from tor throws {@link ControlProtocolError}.
 *
 * @module
 */

import { ControlProtocolError } from "./errors.ts";

/** One token of a reply line. */
export interface ReplyToken {
  /** The keyword of a `KEY=value` token; undefined for a positional token. */
  readonly key?: string;
  /** The value (unescaped if it was quoted). */
  readonly value: string;
  /** Whether the value was a QuotedString. */
  readonly quoted: boolean;
}

/** A keyword as tor writes them: letters, digits, underscore (`REASON`, `HSDIR_INDEX`, `Tor`). */
const KEYWORD = /^[A-Za-z0-9_]+=/;
const SIMPLE_ESCAPES: Record<string, string> = {
  "n": "\n",
  "r": "\r",
  "t": "\t",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/**
 * Reads a QuotedString starting at `text[start] === '"'`.
 *
 * @param text The line.
 * @param start Index of the opening quote.
 * @returns The unescaped value and the index just after the closing quote.
 * @throws {ControlProtocolError} If the string is unterminated or has a bad escape.
 */
export function readQuotedString(text: string, start: number): { value: string; end: number } {
  if (text[start] !== '"') throw bad(text, "expected a quote");
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value, end: i + 1 };
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
    if (octal) {
      value += String.fromCharCode(parseInt(octal[0], 8));
      i += 1 + octal[0].length;
    } else if (next in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[next];
      i += 2;
    } else {
      throw bad(text, `unknown escape "\\${next}"`);
    }
  }
  throw bad(text, "unterminated quoted string");
}

function bad(text: string, why: string): ControlProtocolError {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return new ControlProtocolError(
    "MalformedQuotedString",
    `Cannot parse reply line ${JSON.stringify(shown)}: ${why}`,
  );
}

/**
 * Splits a reply line into tokens separated by spaces. A token is `"quoted"`, `KEY="quoted"`,
 * `KEY=value` or a bare word (a word such as `$FP=nick` whose key has other characters stays
 * positional).
 *
 * @param text The text of one reply line, after the status and divider.
 * @returns The tokens in order.
 * @throws {ControlProtocolError} On a malformed QuotedString.
 */
export function tokenizeReplyLine(text: string): ReplyToken[] {
  const tokens: ReplyToken[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === " ") {
      i++;
      continue;
    }
    if (text[i] === '"') {
      const { value, end } = readQuotedString(text, i);
      tokens.push({ value, quoted: true });
      i = end;
      continue;
    }
    const keyword = KEYWORD.exec(text.slice(i));
    if (keyword && text[i + keyword[0].length] === '"') {
      const { value, end } = readQuotedString(text, i + keyword[0].length);
      tokens.push({ key: keyword[0].slice(0, -1), value, quoted: true });
      i = end;
      continue;
    }
    const stop = text.indexOf(" ", i);
    const word = text.slice(i, stop < 0 ? text.length : stop);
    tokens.push(
      keyword
        ? { key: keyword[0].slice(0, -1), value: word.slice(keyword[0].length), quoted: false }
        : { value: word, quoted: false },
    );
    i += word.length;
  }
  return tokens;
}

/** Positional values and keyword values of a line, as returned by {@link splitReplyLine}. */
export interface SplitReplyLine {
  /** Tokens without a keyword, in order. */
  readonly positional: readonly string[];
  /** `KEY=value` tokens; a repeated key keeps its last value. */
  readonly keywords: ReadonlyMap<string, string>;
}

/**
 * Tokenizes a line and separates positional from keyword arguments.
 *
 * @param text The text of one reply line.
 * @returns The positional values and the keyword map.
 * @throws {ControlProtocolError} On a malformed QuotedString.
 */
export function splitReplyLine(text: string): SplitReplyLine {
  const positional: string[] = [];
  const keywords = new Map<string, string>();
  for (const token of tokenizeReplyLine(text)) {
    if (token.key === undefined) positional.push(token.value);
    else keywords.set(token.key, token.value);
  }
  return { positional, keywords };
}

/**
 * Quotes a value as a control-spec QuotedString, escaping `\` and `"`.
 *
 * @param value The value, e.g. a file path.
 * @returns The quoted string.
 * @throws {TypeError} If `value` contains CR, LF or NUL.
 */
export function quoteString(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new TypeError("Cannot quote a control-port value: it contains CR, LF or NUL");
  }
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
