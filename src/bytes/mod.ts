/**
 * Byte-level building blocks with no cryptography: encodings (hex, base64,
 * base32), a bounded reader, a base for fixed-length byte values, and
 * helpers. Like arti's tor-bytes.
 *
 * Role: the lowest layer; imports nothing from the project.
 *
 * @example
 * ```ts
 * import { fromBase64, toBase64NoPad } from "./mod.ts";
 * toBase64NoPad(fromBase64("AAEC")); // "AAEC"
 * ```
 *
 * @module
 */

export { BytesError, type BytesErrorKind } from "./errors.ts";
export { fromHex, toHex } from "./hex.ts";
export { fromBase64, toBase64, toBase64NoPad } from "./base64.ts";
export { fromBase32, toBase32 } from "./base32.ts";
export { ByteReader } from "./reader.ts";
export { bytesEqual, compareBytes, concat, u64be } from "./bytes.ts";
export { checkLength, FixedBytes } from "./fixed.ts";
