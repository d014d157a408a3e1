/**
 * The hash functions of rend-spec-v3: `H` = SHA3-256, `KDF` = SHAKE-256, plus
 * SHA-512 (ed25519) and HMAC-SHA256 (control-port SAFECOOKIE).
 *
 * Spec: rend-spec-v3 §0.3 (notation) — https://spec.torproject.org/rend-spec/protocol-overview.html
 *
 * @module
 */

import { concat } from "../bytes/mod.ts";
import {
  hmac,
  sha256 as nobleSha256,
  sha3_256,
  sha512 as nobleSha512,
  shake256,
} from "./_noble.ts";

/** Message parts: bytes, or ASCII strings (encoded without a terminating NUL). */
export type HashInput = Uint8Array | string;

/** The message: one byte array is hashed in place (noble never writes to its input), more are joined. */
function message(parts: readonly HashInput[]): Uint8Array {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only instanceof Uint8Array ? only : concat(...parts);
}

/** `H(x)` = SHA3-256 of the concatenated parts (32 bytes). */
export function sha3(...parts: readonly HashInput[]): Uint8Array {
  return sha3_256(message(parts));
}

/** `KDF(x, n)` = the first `n` bytes of SHAKE-256 of the concatenated parts. */
export function shake(n: number, ...parts: readonly HashInput[]): Uint8Array {
  return shake256(message(parts), { dkLen: n });
}

/** SHA-512 of the concatenated parts (64 bytes). */
export function sha512(...parts: readonly HashInput[]): Uint8Array {
  return nobleSha512(message(parts));
}

/** SHA-256 of the concatenated parts (32 bytes). */
export function sha256(...parts: readonly HashInput[]): Uint8Array {
  return nobleSha256(message(parts));
}

/** HMAC-SHA256(key, message) (32 bytes). */
export function hmacSha256(key: HashInput, message: HashInput): Uint8Array {
  return hmac(nobleSha256, concat(key), concat(message));
}
