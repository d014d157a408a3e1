/**
 * Randomness as a parameter (house style §7.7): every function that needs
 * random bytes takes an {@link Rng}, so that builds are reproducible in tests.
 *
 * @module
 */

import { shake } from "./hash.ts";
import { u64be } from "../bytes/mod.ts";

/** A source of random bytes: returns `n` fresh bytes. */
export type Rng = (n: number) => Uint8Array;

/** Random bytes from the operating system (WebCrypto `getRandomValues`). */
export const systemRng: Rng = (n) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
};

/**
 * A deterministic byte stream for tests: SHAKE-256(seed ‖ INT_8(counter)),
 * one call per request. Never use it for real keys.
 */
export function seededRng(seed: string | Uint8Array): Rng {
  let counter = 0n;
  return (n) => shake(n, "seeded-rng", seed, u64be(counter++));
}

/**
 * A uniform number in [0, 1) made of 53 random bits of `rng` (a double's whole
 * precision): the one source of jitter for retry and backoff delays, so that
 * tests that pass a seeded {@link Rng} get the same delays every run.
 */
export function randomUnit(rng: Rng = systemRng): number {
  const b = rng(7);
  let x = 0;
  for (let i = 0; i < 6; i++) x = x * 256 + b[i]!; // 48 bits, exact in a double
  return (x * 32 + (b[6]! >> 3)) / 2 ** 53; // and 5 more
}

/** Compares two byte arrays in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
