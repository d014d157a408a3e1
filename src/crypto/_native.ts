/**
 * Deno's native code for the primitives where it is faster than noble's JavaScript
 * (`scripts/bench/primitives.ts` measures both): `node:crypto` hashes (AWS-LC for SHA-256 and
 * SHA-512, RustCrypto for SHA3-256 and SHAKE-256), Ed25519 verification and signing with a
 * seed, and X25519 public keys (AWS-LC).
 *
 * Role: private to `src/crypto/`; `hash.ts`, `ed25519.ts` and `x25519.ts` choose per use between these and
 * noble (`_noble.ts`), which stays the oracle of the tests (`tests/crypto/native_test.ts`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { fromBase64, toBase64NoPad } from "../bytes/mod.ts";

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

/**
 * SHA-256 of the parts as base64 without padding: the digest encoded in native code, skipping
 * the conversion of the digest to a Buffer and a copy (a third of the time per call).
 */
export function nativeSha256Base64NoPad(parts: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("base64").slice(0, 43); // 44 characters, the last one "="
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

/**
 * The last byte of each algorithm's OID (RFC 8410: 1.3.101.112 Ed25519, 1.3.101.110 X25519),
 * the one byte in which their PKCS#8 DER encodings of a 32-byte private key differ.
 */
const OID_LAST = { ed25519: 0x70, x25519: 0x6e } as const;

/** PKCS#8 DER of a 32-byte private key (RFC 8410): these 16 bytes, then the key. */
function pkcs8Prefix(kind: keyof typeof OID_LAST): number[] {
  return [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, OID_LAST[kind]]
    .concat([0x04, 0x22, 0x04, 0x20]);
}

/** A native private key object for a 32-byte secret (the DER copy is wiped after the import). */
function privateKeyObject(kind: keyof typeof OID_LAST, secret: Uint8Array): KeyObject {
  const der = new Uint8Array(48);
  der.set(pkcs8Prefix(kind), 0);
  der.set(secret, 16);
  try {
    // A Buffer over the same memory: wiping `der` wipes what was handed over.
    return createPrivateKey({ key: Buffer.from(der.buffer), format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
}

/** The 32-byte public key of a private key object. */
function publicKeyBytes(key: KeyObject): Uint8Array {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as { x: string };
  return fromBase64(jwk.x.replace(/-/g, "+").replace(/_/g, "/"));
}

/**
 * An Ed25519 key from its 32-byte RFC 8032 seed, held by AWS-LC: its public key and
 * deterministic RFC 8032 signatures (the same bytes as signing the expanded seed).
 */
export function nativeSeedKey(seed: Uint8Array): {
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
} {
  const key = privateKeyObject("ed25519", seed);
  return {
    publicKey: publicKeyBytes(key),
    sign: (message) => new Uint8Array(sign(null, message, key)),
  };
}

/** The X25519 public key of a 32-byte secret (clamped as RFC 7748 says). */
export function nativeX25519PublicKey(secret: Uint8Array): Uint8Array {
  return publicKeyBytes(privateKeyObject("x25519", secret));
}
