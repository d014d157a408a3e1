/**
 * Deno's native code for the primitives where it is faster than noble's JavaScript
 * (`scripts/bench/primitives.ts` measures both): `node:crypto` hashes (AWS-LC for SHA-256 and
 * SHA-512, RustCrypto for SHA3-256 and SHAKE-256) and Ed25519 verification (AWS-LC).
 *
 * Role: private to `src/crypto/`; `hash.ts` and `ed25519.ts` choose per use between these and
 * noble (`_noble.ts`), which stays the oracle of the tests (`tests/crypto/native_test.ts`).
 *
 * @module
 */

import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { toBase64NoPad } from "../bytes/mod.ts";

/** The bytes of a `node:crypto` result (a Buffer, which may share Node's buffer pool) as a copy. */
function own(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer);
}

/** SHA3-256 of the parts, in one pass. */
export function nativeSha3(parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash("sha3-256");
  for (const p of parts) h.update(p);
  return own(h.digest());
}

/** SHA3-256 of `input`, written into `out` at `offset`. */
export function nativeSha3Into(out: Uint8Array, offset: number, input: Uint8Array): void {
  out.set(createHash("sha3-256").update(input).digest(), offset);
}

/** The first `n` bytes of SHAKE-256 of the parts. */
export function nativeShake(n: number, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash("shake256", { outputLength: n });
  for (const p of parts) h.update(p);
  return own(h.digest());
}

/** SHA-256 of the parts. */
export function nativeSha256(parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return own(h.digest());
}

/** SHA-512 of the parts. */
export function nativeSha512(parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash("sha512");
  for (const p of parts) h.update(p);
  return own(h.digest());
}

/** Public keys imported for verification, by their bytes (a descriptor's keys verify several times). */
const keys = new Map<string, KeyObject | null>();
/** Entries kept: the keys of a few hundred descriptors; the oldest go first. */
const KEPT_KEYS = 4096;

/** The JWK `x` of a key: unpadded base64url. */
function base64url(bytes: Uint8Array): string {
  return toBase64NoPad(bytes).replace(/\+/g, "-").replace(/\//g, "_");
}

/** The key object of a 32-byte public key, or null when it is no curve point. */
function keyObject(publicKey: Uint8Array): KeyObject | null {
  const id = base64url(publicKey);
  let key = keys.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: id }, format: "jwk" });
    } catch {
      key = null; // not a point: no signature verifies
    }
    if (keys.size >= KEPT_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}

/**
 * AWS-LC's Ed25519 verification (`ED25519_verify`): RFC 8032 without the cofactor, S < L, and
 * canonical encodings of A and R. It does not refuse a small-order A: the caller does.
 */
export function nativeVerify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = keyObject(publicKey);
  if (key === null) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
