/**
 * A 32-byte ed25519 public key as it appears inside a certificate (arti
 * `Ed25519Identity`): the certified key or the signed-with-key extension.
 *
 * Spec: cert-spec §2.1 (CERTIFIED_KEY), §2.2.1 (signed-with-ed25519-key).
 *
 * Role: a nominal type for key bytes read from or written to a cert. It does
 * not check that the bytes are a valid point: a bad key simply fails to
 * verify. Callers that know the key's role wrap it in that role's type.
 *
 * @module
 */

import { FixedBytes, toBase64NoPad, toHex } from "../bytes/mod.ts";

/** An ed25519 public key in a certificate (32 bytes, not validated as a point). */
export class Ed25519Identity extends FixedBytes {
  declare protected readonly role: "Ed25519Identity";

  /**
   * @param bytes The 32 key bytes (copied).
   * @throws {BytesError} `BadLength` unless `bytes` has 32 bytes.
   */
  static fromBytes(bytes: Uint8Array): Ed25519Identity {
    return new Ed25519Identity(bytes, 32, "ed25519 key");
  }

  /** Base64 without padding (43 characters), as tor prints ed25519 keys. */
  override toString(): string {
    return toBase64NoPad(this.view);
  }

  /** Lowercase hex (64 characters). */
  toHex(): string {
    return toHex(this.view);
  }
}
