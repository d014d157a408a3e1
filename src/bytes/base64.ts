/**
 * Base64 (standard alphabet) as tor writes and reads it.
 *
 * Spec: tor-v3-spec.md §4.1 — object bodies and curve25519 keys are written
 * with `=` padding, signatures and `auth-client` fields without. Tor's decoder
 * ignores whitespace and does not check padding; {@link fromBase64} accepts
 * either padding too, but rejects characters outside the alphabet and
 * impossible lengths.
 *
 * @module
 */

import { BytesError } from "./errors.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base64 with `=` padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/** Encodes bytes as base64 without `=` padding (tor's `base64_encode_nopad`). */
export function toBase64NoPad(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, "");
}

/**
 * Decodes base64 with or without padding. ASCII whitespace is skipped, as tor does.
 *
 * @throws {BytesError} `BadBase64` on a character outside the alphabet, padding
 *   in the middle, or a length that no encoding produces.
 */
export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/[ \t\r\n]/g, "");
  const body = clean.replace(/={1,2}$/, "");
  if (body.includes("=")) {
    throw new BytesError("BadBase64", "Cannot decode base64: misplaced padding");
  }
  if (body.length % 4 === 1) throw new BytesError("BadBase64", "Cannot decode base64: bad length");
  if (clean.length !== body.length && clean.length % 4 !== 0) {
    throw new BytesError("BadBase64", "Cannot decode base64: bad padding");
  }
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) {
      throw new BytesError("BadBase64", `Cannot decode base64: bad character at offset ${i}`);
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
