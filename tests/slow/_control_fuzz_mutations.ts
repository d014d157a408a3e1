/**
 * How the control-port fuzz cases (`control_fuzz_slow_test.ts`) make their inputs: byte-level
 * mutations of a transcript and the chunks it arrives in, line-level mutations of transcript
 * text, mutations of parsed {@link Reply} values, and endless streams of one shape with where
 * the framer must fail on them. Each mutation is a fast-check value, so fast-check shrinks it.
 *
 * Spec: control-spec §2.3 "Replies from Tor to the controller" (status, divider, CRLF, data
 * blocks), §2.4 "General-use tokens" (QuotedString): what the mutations aim at.
 * <https://spec.torproject.org/control-spec/>
 *
 * Role: pure functions of their arguments; no I/O.
 *
 * @module
 */

import fc from "fast-check";
import type { Reply, ReplyDivider, ReplyFramerOptions, ReplyLine } from "../../src/control/mod.ts";
import { LIMITS } from "./_control_fuzz_harness.ts";
import { FP_A, INTERLEAVED_EVENT, utf8 } from "./_control_fuzz_seeds.ts";

// ---------------------------------------------------------------------------------------------
// Bytes

/** One mutation; `p` and `q` pick places, `n` a byte, a count or a fragment. */
export interface Mutation<K extends string> {
  readonly kind: K;
  readonly p: number;
  readonly q: number;
  readonly n: number;
}

/**
 * A uniform fraction in [0, 1) to pick a place (fc.double spreads over the exponents, and
 * fast-check's bias favours 0: either would hit the first byte of everything).
 */
const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000);

export function mutationOf<K extends string>(kinds: readonly K[]): fc.Arbitrary<Mutation<K>> {
  const n = fc.integer({ min: 0, max: 0xffff });
  return fc.record({ kind: fc.constantFrom(...kinds), p: position, q: position, n });
}

const pick = <T>(items: readonly T[], n: number): T => items[n % items.length]!;
const place = <T>(items: readonly T[], p: number): T => items[Math.floor(p * items.length)]!;

/** Bytes to insert: framing structure, and sequences that are not UTF-8. */
const BYTE_FRAGMENTS: readonly Uint8Array[] = [
  ...["\r", "\n", "\r\n", "\0", ".", "..", "\r\n.\r\n", "+", "-", " ", '"', "\\", "="].map(utf8),
  ...["250", "650", "250+key=\r\n", "650+HS_DESC_CONTENT a b c\r\n", "250 OK\r\n"].map(utf8),
  utf8(`\r\n${INTERLEAVED_EVENT}\r\n`),
  Uint8Array.of(0xff),
  Uint8Array.of(0xc3), // A lead byte alone.
  Uint8Array.of(0xe2, 0x82), // A three-byte sequence cut short.
  Uint8Array.of(0xed, 0xa0, 0x80), // An encoded surrogate.
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // Beyond U+10FFFF.
  Uint8Array.of(0xef, 0xbb, 0xbf), // A byte-order mark.
];

export const BYTE_KINDS = [
  ...["set", "flip", "insert", "insert", "delete", "truncate", "cut", "huge", "interleave"],
  "repeat",
] as const;
export type ByteMutation = Mutation<typeof BYTE_KINDS[number]>;
export const byteMutations = fc.array(mutationOf(BYTE_KINDS), { minLength: 1, maxLength: 4 });

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const end = Math.min(bytes.length, at + remove);
  const out = new Uint8Array(at + insert.length + bytes.length - end);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(end), at + insert.length);
  return out;
}

/** Indices just after each LF (and 0): where a whole line can go. */
function lineStarts(bytes: Uint8Array): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  return starts;
}

/** Where to cut: before a CR, between CR and LF, at a line start, after a status or divider. */
function cutPoints(bytes: Uint8Array): number[] {
  const points = lineStarts(bytes).flatMap((s) => [s - 2, s - 1, s, s + 3, s + 4]);
  return points.filter((p) => p >= 0 && p <= bytes.length);
}

export function mutateBytes(bytes: Uint8Array, m: ByteMutation): Uint8Array {
  const at = Math.floor(m.p * (bytes.length + 1));
  switch (m.kind) {
    case "set":
    case "flip": {
      if (at >= bytes.length) return bytes;
      const out = bytes.slice();
      out[at] = m.kind === "set" ? m.n & 0xff : out[at]! ^ (1 << (m.n % 8));
      return out;
    }
    case "insert":
      return splice(bytes, at, 0, pick(BYTE_FRAGMENTS, m.n));
    case "delete":
      return splice(bytes, at, 1 + (m.n % 64), new Uint8Array(0));
    case "truncate":
      return bytes.subarray(0, at);
    case "cut":
      return bytes.subarray(0, place(cutPoints(bytes), m.q));
    case "huge": {
      // Up to twice the line limit of one byte that is not LF: often a line too long.
      const run = new Uint8Array(Math.floor(m.q * 2 * LIMITS.maxLineBytes));
      return splice(bytes, at, 0, run.fill((m.n & 0xff) === 0x0a ? 0x78 : m.n & 0xff));
    }
    case "interleave":
      return splice(bytes, place(lineStarts(bytes), m.q), 0, utf8(`${INTERLEAVED_EVENT}\r\n`));
    case "repeat": {
      // The line around `at`, 1 to 100 more times: enough copies make a reply too large.
      const starts = lineStarts(bytes);
      const start = starts.findLast((s) => s <= at) ?? 0;
      const next = starts.find((s) => s > at) ?? bytes.length;
      const line = bytes.subarray(start, next);
      const copies = new Uint8Array(line.length * (1 + (m.n % 100)));
      for (let i = 0; i < copies.length; i += line.length) copies.set(line, i);
      return splice(bytes, next, 0, copies);
    }
  }
}

/** Chunk sizes, cycled over an input: how its bytes arrive from the socket. */
export const chunkSizes = fc.array(fc.integer({ min: 1, max: 700 }), {
  minLength: 1,
  maxLength: 12,
});

export function chunk(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Text and replies

/** Text to insert into reply lines: what the tokenizers and parsers key on. */
const TEXT_FRAGMENTS = [
  ...[" ", "  ", "=", '"', "\\", '\\"', "\\n", "\\0", "\\777", "\\x41", '=""', "$", "~", "."],
  ...["..", "\r", "\n", "\0", "\t", "\u00ff", "\ufffd", "\ud800", "\u{1f9c5}", "A".repeat(300)],
  ...["UNKNOWN", " REASON=", " HSDIR_INDEX=", " REPLICA=99999999999999999999", "NaN", "1e3"],
  ...[' Tor="0.4.9', " Tor=0.4.3.0", "-alpha", " (git-", " METHODS=", " COOKIEFILE=", "~nick"],
  ...[" PROGRESS=", ' SUMMARY="', ' KEY="v a"', "650 ", "250-", "250+", "OK", `$${FP_A}`],
  ...["HS_DESC ", "HS_DESC_CONTENT ", "STATUS_CLIENT ", "NEWCONSENSUS", "version="],
  ...["PROTOCOLINFO ", "AUTH ", "VERSION ", "AUTHCHALLENGE ", "SERVERHASH=", "SERVERNONCE="],
];
/** Half ASCII (control characters included), half any UTF-16 unit (lone surrogates included). */
const charOf = (n: number) => String.fromCharCode(n < 0x8000 ? n % 128 : n);

export const TEXT_KINDS = [
  ...["status", "divider", "insert", "insert", "replace", "delete", "dupLine", "dropLine"],
  ...["swapLines", "interleave", "truncate"],
] as const;
const STATUSES = ["250", "650", "552", "251", "515", "099", "999", "25", "2500", "abc", "   "];
const DIVIDERS = ["-", "+", " ", "", "x", "\t"];

/** Mutates a transcript line by line (split at CRLF). */
export function mutateTranscript(text: string, m: Mutation<typeof TEXT_KINDS[number]>): string {
  const lines = text.split("\r\n");
  const i = Math.floor(m.p * lines.length);
  const line = lines[i]!;
  const at = Math.floor(m.q * (line.length + 1));
  switch (m.kind) {
    case "status":
      lines[i] = pick(STATUSES, m.n) + line.slice(3);
      break;
    case "divider":
      lines[i] = line.slice(0, 3) + pick(DIVIDERS, m.n) + line.slice(4);
      break;
    case "insert":
      lines[i] = line.slice(0, at) + pick(TEXT_FRAGMENTS, m.n) + line.slice(at);
      break;
    case "replace":
      lines[i] = line.slice(0, at) + charOf(m.n) + line.slice(at + 1);
      break;
    case "delete":
      lines[i] = line.slice(0, at) + line.slice(at + 1 + (m.n % 16));
      break;
    case "dupLine":
    case "interleave":
      lines.splice(i, 0, m.kind === "dupLine" ? line : INTERLEAVED_EVENT);
      break;
    case "dropLine":
      lines.splice(i, 1);
      break;
    case "swapLines": {
      const j = Math.floor(m.q * lines.length);
      [lines[i], lines[j]] = [lines[j]!, line];
      break;
    }
    case "truncate":
      return text.slice(0, Math.floor(m.q * (text.length + 1)));
  }
  return lines.join("\r\n");
}

export const REPLY_KINDS = [
  ...["insert", "insert", "replace", "delete", "status", "divider", "data", "dupLine"],
  "dropLine",
] as const;
const REPLY_STATUSES = [250, 650, 552, 251, 515, 199, 0, 999];
const REPLY_DIVIDERS: readonly ReplyDivider[] = ["-", "+", " "];

/**
 * Mutates a parsed reply. Unlike a framed one, it may hold CR, LF and NUL in its text, and any
 * status: the parsers take any {@link Reply}, not only what the framer makes.
 */
export function mutateReply(reply: Reply, m: Mutation<typeof REPLY_KINDS[number]>): Reply {
  const lines: ReplyLine[] = [...reply.lines];
  const i = Math.floor(m.p * lines.length);
  const line = lines[i];
  if (line === undefined) return reply;
  const { text, data } = line;
  const at = Math.floor(m.q * (text.length + 1));
  const fragment = pick(TEXT_FRAGMENTS, m.n);
  switch (m.kind) {
    case "insert":
      if (data !== undefined && m.n % 2 === 1) {
        const d = Math.floor(m.q * (data.length + 1));
        lines[i] = { ...line, data: data.slice(0, d) + fragment + data.slice(d) };
      } else lines[i] = { ...line, text: text.slice(0, at) + fragment + text.slice(at) };
      break;
    case "replace":
      lines[i] = { ...line, text: text.slice(0, at) + charOf(m.n) + text.slice(at + 1) };
      break;
    case "delete":
      lines[i] = { ...line, text: text.slice(0, at) + text.slice(at + 1 + (m.n % 16)) };
      break;
    case "status": {
      const status = pick(REPLY_STATUSES, m.n);
      return { status, lines: lines.map((l) => ({ ...l, status })) };
    }
    case "divider":
      lines[i] = { ...line, divider: pick(REPLY_DIVIDERS, m.n) };
      break;
    case "data": // Add a data block, drop it, or cut it short.
      if (data === undefined) {
        lines[i] = { ...line, divider: "+", data: `${fragment}\n` };
      } else if (m.n % 2 === 0) lines[i] = { status: line.status, divider: line.divider, text };
      else lines[i] = { ...line, data: data.slice(0, Math.floor(m.q * data.length)) };
      break;
    case "dupLine":
      lines.splice(i, 0, line);
      break;
    case "dropLine":
      lines.splice(i, 1);
      break;
  }
  return { status: reply.status, lines };
}

// ---------------------------------------------------------------------------------------------
// Endless streams

export type EndlessShape = "line" | "reply" | "data" | "events";

/** The start of an endless stream of one shape, and the unit repeated after it forever. */
export function endlessStream(shape: EndlessShape, fill: Uint8Array) {
  const line = (before: string) => {
    const out = new Uint8Array(before.length + fill.length + 2);
    out.set(utf8(before));
    out.set(fill, before.length);
    out.set(utf8("\r\n"), before.length + fill.length);
    return out;
  };
  const none = new Uint8Array(0);
  switch (shape) {
    case "line": // One line that never ends.
      return { header: utf8("250-"), unit: fill };
    case "reply": // A multi-line reply whose final line never comes.
      return { header: none, unit: line("250-") };
    case "data": // A data block whose "." never comes (its lines start with "x").
      return { header: utf8("250+key=\r\n"), unit: line("x") };
    case "events": // Complete one-line events: nothing may pile up.
      return { header: none, unit: line("650 ") };
  }
}

/**
 * Where an endless stream must fail: with `kind`, in the chunk that brings the bytes fed to
 * `at` or beyond; or `undefined` for complete replies that each fit the limits.
 */
export function expectedFailure(
  shape: EndlessShape,
  header: number,
  unit: number,
  limits: Required<ReplyFramerOptions>,
): { kind: "LineTooLong" | "ReplyTooLarge"; at: number } | undefined {
  if (shape === "line") return { kind: "LineTooLong", at: limits.maxLineBytes + 1 };
  let [start, replyBytes, length] = [0, 0, header > 0 ? header : unit];
  while (true) {
    if (length > limits.maxLineBytes) {
      return { kind: "LineTooLong", at: start + limits.maxLineBytes + 1 };
    }
    replyBytes += length;
    if (replyBytes > limits.maxReplyBytes) return { kind: "ReplyTooLarge", at: start + length };
    if (shape === "events") return undefined; // Each unit is a reply of its own, and fits.
    [start, length] = [start + length, unit];
  }
}

/** Bytes `from` to `from + size` of the stream `header`, `unit`, `unit`, …. */
export function streamSlice(header: Uint8Array, unit: Uint8Array, from: number, size: number) {
  const out = new Uint8Array(size);
  for (let i = 0, at = from; i < size; i++, at++) {
    out[i] = at < header.length ? header[at]! : unit[(at - header.length) % unit.length]!;
  }
  return out;
}
