/**
 * X25519 (RFC 7748): public keys and shared secrets, for `desc-auth-ephemeral-key`
 * and client authorization (rend-spec-v3 §2.5.1.2 [CLIENT-AUTH]).
 *
 * @module
 */

import { nativeX25519PublicKey } from "./_native.ts";
import { x25519 } from "./_noble.ts";

/**
 * The X25519 public key of a 32-byte secret (clamped as RFC 7748 says), in native code (AWS-LC;
 * 28 against noble's 141 µs here; equal results in `tests/crypto/native_test.ts`).
 */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) throw new TypeError("Cannot use x25519 secret: expected 32 bytes");
  return nativeX25519PublicKey(secret);
}

/**
 * `X25519(secret, public)`.
 *
 * @throws {RangeError} When the result is all zeros (a low-order public key).
 */
export function x25519SharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secret.length !== 32 || publicKey.length !== 32) {
    throw new TypeError("Cannot compute x25519: expected 32-byte keys");
  }
  try {
    return x25519.getSharedSecret(secret, publicKey);
  } catch (cause) {
    throw new RangeError("Cannot compute x25519: low-order public key", { cause });
  }
}
