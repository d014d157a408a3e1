/**
 * Encryption of the two descriptor layers: SHAKE-256 KDF, AES-256-CTR, and
 * a SHA3-256 MAC over the ciphertext.
 *
 * Spec: rend-spec-v3 §2.5.3 [HS-DESC-ENCRYPTION-KEYS] —
 * https://spec.torproject.org/rend-spec/hsdesc-encrypt.html; tor
 * `hs_descriptor.c: build_secret_input, build_kdf_key,
 * build_secret_key_iv_mac, build_mac, build_plaintext_padding,
 * decrypt_desc_layer`; arti `desc_enc.rs`.
 *
 * Role: pure except for WebCrypto's AES (async). The salt is a parameter:
 * the builder draws it from its rng. Keys derived here are wiped after use.
 *
 * @module
 */

import { concat, u64be } from "../../bytes/mod.ts";
import { aes256Ctr, constantTimeEqual, sha3, shake } from "../../crypto/mod.ts";
import type { HsBlindIdKey, Subcredential } from "../../keys/mod.ts";
import { HsDescError } from "./errors.ts";
import type { DescriptorCookie } from "./keys.ts";

/** The layer: "middle" is the superencrypted (first) layer, "inner" the encrypted (second). */
export type HsDescLayer = "middle" | "inner";

/** `STRING_CONSTANT` per layer. */
const STRING_CONSTANT: Record<HsDescLayer, string> = {
  middle: "hsdir-superencrypted-data",
  inner: "hsdir-encrypted-data",
};

const SALT_LEN = 16;
const MAC_LEN = 32;
/** The middle layer's plaintext is padded with NULs to a multiple of this. */
export const MIDDLE_PADDING_MULTIPLE = 10000;

/** What the layer keys are derived from. */
export interface HsDescEncryption {
  /** Which layer. */
  readonly layer: HsDescLayer;
  /** `KP_hs_blind_id` (A'), the first part of `SECRET_DATA`. */
  readonly blindedKey: HsBlindIdKey;
  /** `N_hs_subcred`. */
  readonly subcredential: Subcredential;
  /** The descriptor's `revision-counter`. */
  readonly revisionCounter: bigint;
  /** `N_hs_desc_enc`, appended to `SECRET_DATA` for the inner layer under client auth. */
  readonly descriptorCookie?: DescriptorCookie;
}

/** The keys of one layer for one salt. */
export interface LayerKeys {
  /** `SECRET_KEY`, the AES-256 key. */
  readonly secretKey: Uint8Array;
  /** `SECRET_IV`, the initial 128-bit counter block. */
  readonly secretIv: Uint8Array;
  /** `MAC_KEY`. */
  readonly macKey: Uint8Array;
}

/**
 * Derives `SECRET_KEY`, `SECRET_IV` and `MAC_KEY` [HS-DESC-ENCRYPTION-KEYS].
 *
 * @param enc Layer, blinded key, subcredential, revision counter, cookie.
 * @param salt The 16-byte salt.
 * @returns The three keys.
 */
export function deriveLayerKeys(enc: HsDescEncryption, salt: Uint8Array): LayerKeys {
  if (salt.length !== SALT_LEN) throw new RangeError("Cannot derive layer keys: salt is 16 bytes");
  if (enc.descriptorCookie !== undefined && enc.layer !== "inner") {
    throw new TypeError("Cannot derive layer keys: only the inner layer uses the cookie");
  }
  // SECRET_DATA = blinded-public-key [| descriptor_cookie]
  const secretData = enc.descriptorCookie === undefined
    ? enc.blindedKey.toBytes()
    : concat(enc.blindedKey.toBytes(), enc.descriptorCookie.toBytes());
  // secret_input = SECRET_DATA | N_hs_subcred | INT_8(revision_counter)
  const secretInput = concat(secretData, enc.subcredential.toBytes(), u64be(enc.revisionCounter));
  // keys = KDF(secret_input | salt | STRING_CONSTANT, S_KEY_LEN + S_IV_LEN + MAC_KEY_LEN)
  const keys = shake(32 + 16 + 32, secretInput, salt, STRING_CONSTANT[enc.layer]);
  secretInput.fill(0);
  secretData.fill(0);
  return {
    secretKey: keys.slice(0, 32),
    secretIv: keys.slice(32, 48),
    macKey: keys.slice(48, 80),
  };
}

/** `D_MAC = H(mac_key_len | MAC_KEY | salt_len | SALT | ENCRYPTED)`, lengths as INT_8. */
function layerMac(macKey: Uint8Array, salt: Uint8Array, encrypted: Uint8Array): Uint8Array {
  return sha3(u64be(macKey.length), macKey, u64be(salt.length), salt, encrypted);
}

/**
 * Pads the middle-layer plaintext with NULs up to the next multiple of
 * 10000 bytes, as tor does (`build_plaintext_padding`: `CEIL_DIV(len,
 * 10000) × 10000`). Not stem's `len % 10000`, which OnionBalance inherits.
 */
export function padMiddlePlaintext(plaintext: Uint8Array): Uint8Array {
  const padded = Math.ceil(plaintext.length / MIDDLE_PADDING_MULTIPLE) * MIDDLE_PADDING_MULTIPLE;
  const out = new Uint8Array(padded);
  out.set(plaintext);
  return out;
}

/**
 * Encrypts one layer: `SALT | AES-256-CTR(plaintext) | MAC`. The middle
 * layer is padded first ({@link padMiddlePlaintext}); the inner one is not.
 *
 * @param plaintext The layer's document.
 * @param options The key material and the 16-byte salt.
 * @returns The blob that goes into the `MESSAGE` object.
 */
export async function encryptLayer(
  plaintext: Uint8Array,
  options: HsDescEncryption & { salt: Uint8Array },
): Promise<Uint8Array> {
  const { secretKey, secretIv, macKey } = deriveLayerKeys(options, options.salt);
  const input = options.layer === "middle" ? padMiddlePlaintext(plaintext) : plaintext;
  const encrypted = await aes256Ctr(secretKey, secretIv, input);
  const mac = layerMac(macKey, options.salt, encrypted);
  secretKey.fill(0);
  macKey.fill(0);
  return concat(options.salt, encrypted, mac);
}

/**
 * Decrypts one layer after checking its MAC in constant time (tor
 * `decrypt_desc_layer`). The plaintext is returned whole, padding included.
 *
 * @param blob `SALT | ENCRYPTED | MAC` from the `MESSAGE` object.
 * @param options The key material.
 * @returns The plaintext.
 * @throws {HsDescError} Stage `decrypt`, kind `MacMismatch`, when the blob is
 *   too short or its MAC does not match.
 */
export async function decryptLayer(
  blob: Uint8Array,
  options: HsDescEncryption,
): Promise<Uint8Array> {
  if (blob.length <= SALT_LEN + MAC_LEN) {
    throw new HsDescError(
      "decrypt",
      "MacMismatch",
      `the ${options.layer} layer has ${blob.length} bytes, at least 49 are needed`,
    );
  }
  const salt = blob.subarray(0, SALT_LEN);
  const encrypted = blob.subarray(SALT_LEN, blob.length - MAC_LEN);
  const mac = blob.subarray(blob.length - MAC_LEN);
  const { secretKey, secretIv, macKey } = deriveLayerKeys(options, salt);
  const ok = constantTimeEqual(layerMac(macKey, salt, encrypted), mac);
  macKey.fill(0);
  if (!ok) {
    secretKey.fill(0);
    throw new HsDescError("decrypt", "MacMismatch", `MAC mismatch in the ${options.layer} layer`);
  }
  const plaintext = await aes256Ctr(secretKey, secretIv, encrypted);
  secretKey.fill(0);
  return plaintext;
}
