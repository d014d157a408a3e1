/**
 * Text and byte mutations for the fuzz cases of `config_fuzz_slow_test.ts`.
 *
 * What: fast-check arbitraries for edits to a text (replace, insert, delete, duplicate, drop or
 * swap lines, truncate, wrap, and for YAML: swap a key's value, change a line's indentation) and
 * to bytes (set, insert, delete, truncate, with BOMs, NUL and broken UTF-8), and the functions
 * applying them. The same edits serve `config.yaml` texts and key files.
 *
 * Role: test-only; knows nothing of configs or keys (the caller passes fragments and values).
 *
 * @module
 */

import fc from "fast-check";
import { concat } from "../../src/bytes/mod.ts";

// ---- Text ----

/**
 * A uniform fraction in [0, 1) to pick a place in a text. (fc.double spreads
 * over the exponents, so it is nearly always tiny, and fast-check's bias
 * favours 0: either would hit the first byte of everything.)
 */
export const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000);
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** One edit to a text; `p` and `q` are {@link position}s. */
export type Mutation =
  | { kind: "replace" | "insert" | "setValue"; p: number; value: string }
  | { kind: "delete" | "indent"; p: number; n: number }
  | { kind: "dupLine" | "dropLine" | "truncate"; p: number }
  | { kind: "swapLines"; p: number; q: number }
  | { kind: "wrap"; before: string; after: string };

/**
 * Text mutations inserting `fragments`. With `values` (a YAML text), also the ones that only make
 * sense in YAML: a key's value swapped for one of `values`, a line's indentation changed.
 */
export function textMutation(
  fragments: readonly string[],
  values?: fc.Arbitrary<string>,
): fc.Arbitrary<Mutation> {
  const value = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(...B64), // keeps base64 valid: reaches the DER checks
    fc.constantFrom(...fragments),
    fc.string({ maxLength: 12, unit: "binary" }),
  );
  const kinds: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constantFrom("replace", "insert"), p: position, value }),
    fc.record({ kind: fc.constant("delete"), p: position, n: fc.integer({ min: 1, max: 80 }) }),
    fc.record({ kind: fc.constantFrom("dupLine", "dropLine", "truncate"), p: position }),
    fc.record({ kind: fc.constant("swapLines"), p: position, q: position }),
    fc.record({
      kind: fc.constant("wrap"),
      before: fc.constantFrom("", "", "\uFEFF", "---\n", "%YAML 1.1\n---\n", " ", "\n\n", "# c\n"),
      after: fc.constantFrom("", "", "\n", "...\n", "\n---\n", "\0", "\n- x\n", "x: 1\n"),
    }),
  ];
  if (values !== undefined) {
    kinds.push(
      fc.record({ kind: fc.constant("setValue"), p: position, value: values }),
      // n < 0 removes up to -n leading blanks, 1..3 adds spaces, 4 adds a tab.
      fc.record({ kind: fc.constant("indent"), p: position, n: fc.integer({ min: -3, max: 4 }) }),
    );
  }
  return fc.oneof(...kinds);
}

const blankOrComment = (line: string) => /^\s*(#|$)/.test(line);
const indentOf = (line: string) => line.length - line.trimStart().length;

/** Applies mutations; three picks in four go to lines that are not blank or a comment. */
export function mutate(text: string, ms: readonly Mutation[]): string {
  for (const m of ms) {
    if (m.kind === "wrap") {
      text = m.before + text + m.after;
      continue;
    }
    if (m.kind === "truncate") {
      text = text.slice(0, Math.floor(m.p * text.length));
      continue;
    }
    const lines = text.split("\n");
    const content = lines.flatMap((l, i) => (blankOrComment(l) ? [] : [i]));
    const pickLine = (p: number) =>
      p < 0.75 && content.length > 0
        ? content[Math.floor((p / 0.75) * content.length)]!
        : Math.floor(p * lines.length);
    const edited = applyLineEdit(text, lines, m, pickLine);
    if (edited !== undefined) {
      text = edited;
      continue;
    }
    switch (m.kind) {
      case "indent": {
        const i = pickLine(m.p);
        const line = lines[i] ?? "";
        lines[i] = m.n < 0
          ? line.slice(Math.min(-m.n, indentOf(line)))
          : (m.n === 4 ? "\t" : " ".repeat(m.n)) + line;
        text = lines.join("\n");
        break;
      }
      case "setValue":
        text = setValue(lines, pickLine(m.p), m.value);
        break;
    }
  }
  return text;
}

/** One edit of the text fuzzers at a position `p` in [0, 1) (and `q` for a second line). */
export interface LineEdit {
  kind: string;
  p: number;
  q?: number;
  value?: string;
  n?: number;
}

/**
 * Applies the edits every text fuzzer makes (replace, insert or delete at a point; duplicate,
 * drop or swap lines) to `text`, split as `lines`, picking lines with `pickLine` (each fuzzer
 * weights its own kind of line); undefined for another kind, which the caller applies. Shared
 * with the descriptor fuzz (hsdesc_fuzz_slow_test.ts).
 */
export function applyLineEdit(
  text: string,
  lines: string[],
  m: LineEdit,
  pickLine: (p: number) => number,
): string | undefined {
  const lineStart = (i: number) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0);
  const at = (p: number) => {
    const line = pickLine(p);
    return Math.min(
      text.length,
      lineStart(line) + Math.floor(((p * 7919) % 1) * ((lines[line]?.length ?? 0) + 1)),
    );
  };
  const value = m.value ?? "";
  switch (m.kind) {
    case "replace": {
      const i = at(m.p);
      return text.slice(0, i) + value + text.slice(i + value.length);
    }
    case "insert": {
      const i = at(m.p);
      return text.slice(0, i) + value + text.slice(i);
    }
    case "delete": {
      const i = at(m.p);
      return text.slice(0, i) + text.slice(i + (m.n ?? 0));
    }
    case "dupLine": {
      const i = pickLine(m.p);
      lines.splice(i, 0, lines[i] ?? "");
      return lines.join("\n");
    }
    case "dropLine":
      lines.splice(pickLine(m.p), 1);
      return lines.join("\n");
    case "swapLines": {
      const [i, j] = [pickLine(m.p), pickLine(m.q ?? 0)];
      [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
      return lines.join("\n");
    }
  }
  return undefined;
}

/**
 * Replaces the value on line `i` (after `key:` or `- `), with the block under
 * it: `services:` and its list become `services: <value>`, a type swap.
 */
function setValue(lines: string[], i: number, value: string): string {
  const line = lines[i] ?? "";
  const match = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*?:(?=\s|$))?/.exec(line)!;
  const head = match[0];
  const column = match[2] === undefined ? indentOf(line) : match[1]!.length;
  let end = i + 1;
  while (end < lines.length) {
    const next = lines[end]!;
    const indent = indentOf(next);
    if (!blankOrComment(next) && indent < column) break;
    if (!blankOrComment(next) && indent === column && !next.trimStart().startsWith("- ")) break;
    end++;
  }
  lines.splice(i, end - i, head + (match[2] === undefined ? "" : " ") + value);
  return lines.join("\n");
}

// ---- Bytes ----

/** Bytes that are not plain UTF-8 text, or that change how it decodes. */
export const BYTE_FRAGMENTS = [
  [0xef, 0xbb, 0xbf], // UTF-8 BOM
  [0xfe, 0xff],
  [0xff, 0xfe],
  [0x00],
  [0xff],
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // a surrogate half
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x80],
  [0xe2, 0x82], // a truncated sequence
  [0x0d],
  [0x09],
  [0xe2, 0x80, 0xa8], // U+2028
  [0xf0, 0x9f, 0x98, 0x80],
].map((b) => Uint8Array.from(b));

/** One edit to bytes; `p` is a {@link position}. */
export type ByteMutation =
  | { kind: "set" | "insert"; p: number; bytes: Uint8Array }
  | { kind: "delete"; p: number; n: number }
  | { kind: "truncate"; p: number };

/** A byte edit: mostly single bytes and {@link BYTE_FRAGMENTS}. */
export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("set", "insert"),
    p: position,
    bytes: fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.of(b)),
      fc.constantFrom(...BYTE_FRAGMENTS),
    ),
  }),
  fc.record({ kind: fc.constant("delete"), p: position, n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate"), p: position }),
);

/** Applies byte mutations in order. */
export function mutateBytes(bytes: Uint8Array, ms: readonly ByteMutation[]): Uint8Array {
  for (const m of ms) {
    const i = Math.floor(m.p * bytes.length);
    switch (m.kind) {
      case "set":
        bytes = concat(bytes.subarray(0, i), m.bytes, bytes.subarray(i + m.bytes.length));
        break;
      case "insert":
        bytes = concat(bytes.subarray(0, i), m.bytes, bytes.subarray(i));
        break;
      case "delete":
        bytes = concat(bytes.subarray(0, i), bytes.subarray(i + m.n));
        break;
      case "truncate":
        bytes = bytes.slice(0, i);
        break;
    }
  }
  return bytes;
}

/** `text` as UTF-8. */
export const utf8 = (text: string) => new TextEncoder().encode(text);

/** UTF-16LE with a BOM: a config saved by a Windows editor. */
export function utf16(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    out[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    out[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  return out;
}
