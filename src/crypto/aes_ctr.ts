/**
 * AES-256-CTR from WebCrypto, with the whole 16-byte IV as one 128-bit
 * big-endian counter (OpenSSL semantics, which tor uses; rend-spec-v3 §2.5.3
 * [HS-DESC-ENCRYPTION-KEYS]; tor `hs_descriptor.c: build_encrypted`).
 *
 * @module
 */

/**
 * Encrypts or decrypts (the same operation) `data` with AES-256-CTR.
 *
 * @param key 32-byte AES key.
 * @param iv 16-byte initial counter block.
 * @param data Plaintext or ciphertext.
 * @returns A new array of `data.length` bytes.
 */
export async function aes256Ctr(
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (key.length !== 32) throw new TypeError("Cannot use AES-256 key: expected 32 bytes");
  if (iv.length !== 16) throw new TypeError("Cannot use AES-CTR IV: expected 16 bytes");
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "AES-CTR" },
    false,
    ["encrypt"],
  );
  const out = await crypto.subtle.encrypt(
    { name: "AES-CTR", counter: iv as Uint8Array<ArrayBuffer>, length: 128 },
    cryptoKey,
    data as Uint8Array<ArrayBuffer>,
  );
  return new Uint8Array(out);
}
