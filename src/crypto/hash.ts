/**
 * The hash functions of rend-spec-v3: `H` = SHA3-256, `KDF` = SHAKE-256, plus
 * SHA-512 (ed25519), SHA-256 (microdescriptor digests) and HMAC-SHA256 (control-port
 * SAFECOOKIE). Each runs in Deno's native code (`_native.ts`) or noble's JavaScript, whichever is
 * faster for it (below); the results are the same (`tests/crypto/native_test.ts`).
 *
 * Spec: rend-spec-v3 §0.3 (notation) — https://spec.torproject.org/rend-spec/protocol-overview.html
 *
 * @module
 */

import { concat } from "../bytes/mod.ts";
import {
  nativeSha256,
  nativeSha256Base64NoPad,
  nativeSha3,
  nativeSha3Into,
  nativeSha512,
  nativeShake,
} from "./_native.ts";
import { hmac, sha256 as nobleSha256 } from "./_noble.ts";

/** Message parts: bytes, or ASCII strings (encoded without a terminating NUL). */
export type HashInput = Uint8Array | string;

const encoder = new TextEncoder();

/**
 * An ASCII label as bytes: a short string is copied in JavaScript (`TextEncoder` calls into native
 * code, which costs more than the copy for the labels hashed here).
 */
function ascii(text: string): Uint8Array {
  if (text.length > 64) return encoder.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text); // not ASCII after all: UTF-8, as concat() does
    out[i] = c;
  }
  return out;
}

/** The parts as bytes (native hashes take them one after another, without joining them). */
function bytesOf(parts: readonly HashInput[]): Uint8Array[] {
  return parts.map((p) => (typeof p === "string" ? ascii(p) : p));
}

/*
 * Native code for all four (`scripts/bench/primitives.ts`, Deno 2.9.6 on a 2-core AMD EPYC, µs
 * per call at 32 / 400 / 16,000 bytes): SHA3-256 noble 4.3 / 11.3 / 354, native 2.7 / 4.9 / 67;
 * SHAKE-256 5.5 / 14.3 / 355 against 4.5 / 6.3 / 68; SHA-512 6.1 / 9.9 / 162 against
 * 4.4 / 6.2 / 32. SHA-256 alone is faster in noble's JavaScript below about 1 KiB when timed by
 * itself (2.7 / 4.1 / 79 against 4.0 / 5.2 / 13), but in the consensus parse, 7,000
 * microdescriptor digests of about 400 bytes among other work, native took 82 ms against 89: noble
 * allocates more, and the garbage collector pays for it.
 */

/** `H(x)` = SHA3-256 of the concatenated parts (32 bytes). */
export function sha3(...parts: readonly HashInput[]): Uint8Array {
  return nativeSha3(bytesOf(parts));
}

/** `H(x)` of one byte string, written into `out` at `offset` (no new array: for many hashes). */
export function sha3Into(out: Uint8Array, offset: number, input: Uint8Array): void {
  nativeSha3Into(out, offset, input);
}

/** `KDF(x, n)` = the first `n` bytes of SHAKE-256 of the concatenated parts. */
export function shake(n: number, ...parts: readonly HashInput[]): Uint8Array {
  return nativeShake(n, bytesOf(parts));
}

/** SHA-512 of the concatenated parts (64 bytes). */
export function sha512(...parts: readonly HashInput[]): Uint8Array {
  return nativeSha512(bytesOf(parts));
}

/** SHA-256 of the concatenated parts (32 bytes). */
export function sha256(...parts: readonly HashInput[]): Uint8Array {
  return nativeSha256(bytesOf(parts));
}

/**
 * SHA-256 of the concatenated parts as base64 without padding (43 characters), as a
 * microdescriptor consensus names each microdescriptor; the same as
 * `toBase64NoPad(sha256(...parts))`, faster.
 */
export function sha256Base64NoPad(...parts: readonly HashInput[]): string {
  return nativeSha256Base64NoPad(bytesOf(parts));
}

/** HMAC-SHA256(key, message) (32 bytes). */
export function hmacSha256(key: HashInput, message: HashInput): Uint8Array {
  return hmac(nobleSha256, concat(key), concat(message));
}
