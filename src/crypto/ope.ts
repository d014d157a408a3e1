/**
 * The order-preserving "encryption" of rend-spec-v3 Appendix F (revision
 * counters), as tor's `crypto_ope.c` computes it:
 * ```
 * stream = AES-256-CTR(key, IV = 0^16) applied to zero bytes
 * w_i    = stream[2i] + 256 · stream[2i+1]          (16-bit little-endian)
 * OPE(x) = Σ_{i=0}^{x−1} (w_i + 1)
 * ```
 *
 * Spec: rend-spec-v3 Appendix F "Two methods for managing revision counters"
 * (it has no bracket anchor; https://spec.torproject.org/rend-spec/revision-counter-mgt.html);
 * tor `lib/crypt_ops/crypto_ope.c`, `hs_service.c: generate_ope_cipher_for_desc`.
 * SPEC-DEVIATION(rend-spec App. F): the spec text sums `w_i`; tor
 * (`sum_values_from_cipher`) and OnionBalance sum `w_i + 1`, which keeps the
 * sum strictly increasing. We follow tor.
 *
 * Role: a pure primitive on a 32-byte AES key. Which key (tor: from the
 * blinded key; OnionBalance: from the identity secret) is decided by
 * `src/keys/revision_counter.ts`. One WebCrypto call per evaluation: the whole
 * keystream (2·x bytes) is made at once and summed, about a millisecond for a
 * day of seconds.
 *
 * @module
 */

import { aes256Ctr } from "./aes_ctr.ts";

/**
 * Tor's `OPE_INPUT_MAX` (2^18): `crypto_ope_encrypt` refuses larger inputs.
 * OnionBalance has no such limit; {@link opeEncrypt} takes up to
 * {@link OPE_SAFETY_MAX}.
 */
export const OPE_INPUT_MAX = 1 << 18;

/**
 * The largest input {@link opeEncrypt} accepts (2^22 ≈ 48 days of seconds, an
 * 8 MiB keystream). Revision-counter inputs are seconds since the start of an
 * SR protocol run (at most a few days); anything larger is a caller's bug.
 */
export const OPE_SAFETY_MAX = 1 << 22;

/**
 * `OPE(x) = Σ_{i<x} (w_i + 1)` for a 32-byte AES key, as tor's
 * `crypto_ope_encrypt` (without tor's 2^18 cap; see {@link OPE_INPUT_MAX}).
 *
 * @param key The 32-byte AES-256 key.
 * @param plaintext x, an integer in `[0, OPE_SAFETY_MAX]`; `OPE(0) = 0`.
 * @returns The sum, at most `65536 · x` (below 2^53, so a safe integer).
 * @throws {TypeError} When the key is not 32 bytes.
 * @throws {RangeError} When `plaintext` is not an integer in range.
 *
 * @example
 * ```ts
 * import { opeEncrypt } from "./ope.ts";
 * await opeEncrypt(new Uint8Array(32), 0); // 0
 * ```
 */
export async function opeEncrypt(key: Uint8Array, plaintext: number): Promise<number> {
  if (key.length !== 32) throw new TypeError("Cannot use OPE key: expected 32 bytes");
  if (!Number.isSafeInteger(plaintext) || plaintext < 0 || plaintext > OPE_SAFETY_MAX) {
    throw new RangeError(
      `Cannot compute OPE of ${plaintext}: expected an integer in [0, ${OPE_SAFETY_MAX}]`,
    );
  }
  if (plaintext === 0) return 0;
  // stream = AES-256-CTR(K, IV = 0) over 2·x zero bytes (the keystream itself).
  const stream = await aes256Ctr(key, new Uint8Array(16), new Uint8Array(2 * plaintext));
  // Σ (w_i + 1) = x + Σ stream[2i] + 256 · Σ stream[2i+1].
  let low = 0;
  let high = 0;
  for (let i = 0; i < stream.length; i += 2) {
    low += stream[i]!;
    high += stream[i + 1]!;
  }
  return plaintext + low + 256 * high;
}
