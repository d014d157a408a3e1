/**
 * Ed25519 key blinding with a given blinding parameter `h`, as tor's ref10
 * `blinding.c` does it (the parameter is clamped, not hashed again).
 *
 * Spec: rend-spec-v3 Appendix A [KEYBLIND]; tor
 * `ext/ed25519/ref10/blinding.c: ed25519_ref10_gettweak,
 * ed25519_ref10_blind_public_key, ed25519_ref10_blind_secret_key`.
 * ```
 * hc      = clamp(h)                       (byte0 &= 248, byte31 &= 63, byte31 |= 64)
 * A'      = hc · A
 * a'      = hc · a mod l                   (not clamped again)
 * prefix' = SHA512("Derive temporary signing key hash input" | prefix)[:32]
 * ```
 *
 * Role: primitives on bytes; `src/keys/blinded.ts` derives `h` from the
 * identity key and the time period and wraps the results in nominal types.
 * Tests feed tor's raw-parameter vectors (`ed25519_vectors.inc`) here.
 *
 * @module
 */

import { clampScalar, scalarMulModL, scalarMultPoint, ValidPublicPoint } from "./ed25519.ts";
import { sha512 } from "./hash.ts";

/** The prefix' derivation string (39 bytes, no NUL: tor uses `strlen`). */
const BLIND_PREFIX_STRING = "Derive temporary signing key hash input";

/**
 * `A' = clamp(h) · A` for a valid (torsion-free) public key.
 *
 * @param publicKey The 32-byte public key A, or its point already checked (faster: no second
 *   torsion check).
 * @param param The 32-byte blinding parameter h (clamped here).
 * @throws {RangeError} When `publicKey` is not a valid torsion-free point.
 */
export function blindPublicKeyBytes(
  publicKey: Uint8Array | ValidPublicPoint,
  param: Uint8Array,
): Uint8Array {
  const h = clampScalar(param);
  return publicKey instanceof ValidPublicPoint
    ? publicKey.multiply(h)
    : scalarMultPoint(publicKey, h);
}

/**
 * The blinded 64-byte expanded secret `a' ‖ prefix'` of an expanded secret
 * `a ‖ prefix`; its public key is `A'`.
 *
 * @param expanded The 64-byte expanded secret key.
 * @param param The 32-byte blinding parameter h (clamped here).
 * @throws {TypeError} On wrong lengths.
 */
export function blindExpandedSecret(expanded: Uint8Array, param: Uint8Array): Uint8Array {
  if (expanded.length !== 64) {
    throw new TypeError("Cannot blind expanded secret key: expected 64 bytes");
  }
  const out = new Uint8Array(64);
  // a' = h·a mod l
  out.set(scalarMulModL(clampScalar(param), expanded.subarray(0, 32)), 0);
  // prefix' = SHA512("Derive temporary signing key hash input" | prefix)[:32]
  out.set(sha512(BLIND_PREFIX_STRING, expanded.subarray(32, 64)).subarray(0, 32), 32);
  return out;
}
