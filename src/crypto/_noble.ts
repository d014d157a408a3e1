/**
 * The only module that imports the noble libraries (house style §6.8, the
 * tor-llcrypto rule: one place to upgrade and audit). Everything else in the
 * project reaches them through the typed wrappers of `src/crypto/`.
 *
 * @module
 */

export { ed25519, x25519 } from "@noble/curves/ed25519.js";
export { bytesToNumberLE, numberToBytesLE } from "@noble/curves/utils.js";
export { sha3_256, shake256 } from "@noble/hashes/sha3.js";
export { sha256, sha512 } from "@noble/hashes/sha2.js";
export { hmac } from "@noble/hashes/hmac.js";
