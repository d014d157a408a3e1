/**
 * Base32 (RFC 4648 alphabet, no padding) as used by onion addresses and tor's
 * client-authorization key files: written lowercase, read in either case.
 *
 * @module
 */

import { BytesError } from "./errors.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Encodes bytes as lowercase base32 without padding. */
export function toBase32(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes unpadded base32 in either case.
 *
 * @throws {BytesError} `BadBase32` on a character outside the alphabet or an
 *   impossible length.
 */
export function fromBase32(text: string): Uint8Array {
  const lower = text.toLowerCase();
  if ([1, 3, 6].includes(lower.length % 8)) {
    throw new BytesError("BadBase32", "Cannot decode base32: bad length");
  }
  const out = new Uint8Array(Math.floor((lower.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < lower.length; i++) {
    const v = ALPHABET.indexOf(lower[i]!);
    if (v < 0) {
      throw new BytesError("BadBase32", `Cannot decode base32: bad character at offset ${i}`);
    }
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
