/**
 * Writes objects and base64 the way tor does.
 *
 * Spec: dir-spec §1.2 "Document meta-format"; tor
 * `binascii.c: base64_encode` with `BASE64_ENCODE_MULTILINE`.
 *
 * Role: the encoders' half of `tokenize.ts`. Pure string building.
 *
 * @module
 */

import { toBase64 } from "../bytes/mod.ts";

/**
 * Base64 with `=` padding in lines of 64 characters, each line (the last
 * too) ending in `\n`.
 *
 * @param bytes The bytes to encode.
 * @returns The multi-line base64 text.
 */
export function base64Lines(bytes: Uint8Array): string {
  const b64 = toBase64(bytes);
  let out = "";
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out;
}

/**
 * An object: `-----BEGIN TAG-----\n` + {@link base64Lines} + `-----END TAG-----`,
 * with **no** `\n` after the END line (tor `tor_cert_encode_ed22519`, and the
 * `MESSAGE` blocks of `hs_descriptor.c`).
 *
 * @param tag The object tag, e.g. `ED25519 CERT` or `MESSAGE`.
 * @param bytes The object body.
 * @returns The armored text.
 *
 * @example
 * ```ts
 * import { armor } from "./armor.ts";
 * armor("MESSAGE", new Uint8Array([1, 2, 3])); // "-----BEGIN MESSAGE-----\nAQID\n-----END MESSAGE-----"
 * ```
 */
export function armor(tag: string, bytes: Uint8Array): string {
  return `-----BEGIN ${tag}-----\n${base64Lines(bytes)}-----END ${tag}-----`;
}
