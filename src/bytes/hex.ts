/**
 * Hexadecimal encoding: lowercase out, either case in.
 *
 * @module
 */

import { BytesError } from "./errors.ts";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Encodes bytes as lowercase hex.
 *
 * @example
 * ```ts
 * import { toHex } from "./hex.ts";
 * toHex(new Uint8Array([0, 255])); // "00ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/**
 * Decodes hex (either case) into bytes.
 *
 * @throws {BytesError} `BadHex` on an odd length or a non-hex character.
 */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new BytesError("BadHex", "Cannot decode hex: odd length");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = text.slice(2 * i, 2 * i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
      throw new BytesError("BadHex", `Cannot decode hex: bad character at offset ${2 * i}`);
    }
    out[i] = parseInt(pair, 16);
  }
  return out;
}
