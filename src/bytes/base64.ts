/**
 * Base64 (standard alphabet) as tor writes and reads it.
 *
 * Spec: tor `lib/encoding/binascii.c: base64_encode, base64_encode_nopad`;
 * rend-spec-v3 §2.4 [DESC-OUTER], §2.5 [HS-DESC-ENC] — object bodies and
 * curve25519 keys are written with `=` padding, signatures and `auth-client`
 * fields without. Tor's decoder ignores whitespace and does not check padding;
 * {@link fromBase64} accepts either padding too, but rejects characters
 * outside the alphabet and impossible lengths.
 *
 * @module
 */

import { BytesError } from "./errors.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base64 with `=` padding (in native code: `Uint8Array.prototype.toBase64`). */
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Encodes bytes as base64 without `=` padding (tor's `base64_encode_nopad`). */
export function toBase64NoPad(bytes: Uint8Array): string {
  return bytes.toBase64({ omitPadding: true });
}

/** Whitespace tor's decoder skips: space, tab, CR, LF. */
function isSkipped(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * Decodes base64 with or without padding. ASCII whitespace is skipped, as tor does.
 *
 * @throws {BytesError} `BadBase64` on a character outside the alphabet, padding
 *   in the middle, or a length that no encoding produces.
 */
export function fromBase64(text: string): Uint8Array {
  if (text.length > NATIVE_FROM && NATIVE_SAFE.test(text)) {
    try {
      return Uint8Array.fromBase64(text, { lastChunkHandling: "loose" });
    } catch {
      // Bad padding or length: the JavaScript decoder below says which.
    }
  }
  return fromBase64Compact(text) ?? fromBase64Any(text);
}

/** @internal {@link fromBase64} without native code: the oracle of its tests. */
export function fromBase64Portable(text: string): Uint8Array {
  return fromBase64Compact(text) ?? fromBase64Any(text);
}

/**
 * Texts the native decoder (`Uint8Array.fromBase64`, six times faster on a descriptor's
 * encrypted body) reads as tor does: the alphabet, `=` and the whitespace tor skips (the native
 * decoder also skips form feeds, which tor refuses). Short texts (keys, digests) decode as fast
 * in JavaScript, without the pattern test.
 */
const NATIVE_SAFE = /^[A-Za-z0-9+/= \t\r\n]*$/;
const NATIVE_FROM = 64;

/**
 * The common case, fast (it runs twice for every relay of a consensus): no
 * whitespace, at most two "=" at the end and a possible length. Returns
 * undefined for anything else, which {@link fromBase64Any} then decodes or rejects.
 */
function fromBase64Compact(text: string): Uint8Array | undefined {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  if (end % 4 === 1 || (end !== text.length && text.length % 4 !== 0)) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  if (end - i >= 2) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = end - i === 3 ? sextet(text, i + 2) : 0;
    if ((a | b | c) < 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    if (end - i === 3) out[o++] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

/** The 6-bit value of the character at `i`, or -1. */
function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? LOOKUP[c]! : -1;
}

/** Any input: whitespace skipped, padding and length checked, errors explained. */
function fromBase64Any(text: string): Uint8Array {
  // Count the characters that are not whitespace, and the trailing "=" among them.
  let length = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSkipped(c)) continue;
    length++;
    if (c === 0x3d) padding++;
    else if (padding > 0) padding = 3; // "=" followed by more data: misplaced
  }
  if (padding > 2) throw new BytesError("BadBase64", "Cannot decode base64: misplaced padding");
  const body = length - padding;
  if (body % 4 === 1) throw new BytesError("BadBase64", "Cannot decode base64: bad length");
  if (padding > 0 && length % 4 !== 0) {
    throw new BytesError("BadBase64", "Cannot decode base64: bad padding");
  }
  const out = new Uint8Array(Math.floor((body * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  let offset = 0; // position among the non-whitespace characters, for error messages
  for (let i = 0; offset < body; i++) {
    const c = text.charCodeAt(i);
    if (isSkipped(c)) continue;
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) {
      throw new BytesError("BadBase64", `Cannot decode base64: bad character at offset ${offset}`);
    }
    offset++;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
