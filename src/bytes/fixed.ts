/**
 * A base for nominal fixed-length byte values (keys, indexes, shared random
 * values): the bytes are checked for length and copied when the value is made,
 * and copied again when they are read out, as arti's `tor-hscrypto` `pk.rs`
 * newtypes and noble's `abytes` checks do.
 *
 * Role: the lowest layer, so that every folder above can use it; a bad length
 * is a {@link BytesError} of kind `BadLength` (a `RangeError`) wherever the
 * value is made. It never validates what the bytes mean (a curve point, say):
 * subclasses that must do so check after construction.
 *
 * @module
 */

import { bytesEqual } from "./bytes.ts";
import { BytesError } from "./errors.ts";

/**
 * Checks that `bytes` is a `Uint8Array` of exactly `length` bytes.
 *
 * @param bytes The value to check (callers from plain JavaScript may pass anything).
 * @param length The only accepted length.
 * @param what What the bytes are, for the message ("blinded key").
 * @throws {BytesError} `BadLength` otherwise.
 */
export function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes instanceof Uint8Array && bytes.length === length) return;
  const got = bytes instanceof Uint8Array ? String(bytes.length) : `a ${typeof bytes}`;
  throw new BytesError("BadLength", `Cannot use ${what}: expected ${length} bytes, got ${got}`);
}

/**
 * Fixed-length bytes with a role. Each concrete subclass names its role in
 * {@link FixedBytes.role} (a type-only brand), so that `equals` and the
 * subclass's own methods accept only values of the same role: a blinded key
 * never compares equal to, or passes for, an identity key.
 *
 * @example
 * ```ts
 * import { FixedBytes } from "./fixed.ts";
 * class Nonce extends FixedBytes {
 *   declare protected readonly role: "Nonce";
 *   static fromBytes(bytes: Uint8Array): Nonce {
 *     return new Nonce(bytes, 16, "nonce");
 *   }
 * }
 * Nonce.fromBytes(new Uint8Array(16)).equals(Nonce.fromBytes(new Uint8Array(16))); // true
 * ```
 */
export abstract class FixedBytes {
  /** The role, as a string literal type; declared with `declare`, so absent at run time. */
  protected abstract readonly role: string;
  readonly #bytes: Uint8Array;

  /**
   * @param bytes The bytes (copied).
   * @param length The length the role requires.
   * @param what The role's name in messages.
   * @throws {BytesError} `BadLength` unless `bytes` has `length` bytes.
   */
  protected constructor(bytes: Uint8Array, length: number, what: string) {
    checkLength(bytes, length, what);
    this.#bytes = bytes.slice();
  }

  /** A copy of the bytes. */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Copies the bytes into `target` at `offset` (no new array: for laying out hash inputs). */
  copyTo(target: Uint8Array, offset: number): void {
    target.set(this.#bytes, offset);
  }

  /** Whether both hold the same bytes. Not constant time (`bytesEqual`): never compare secrets. */
  equals(other: this): boolean {
    return bytesEqual(this.#bytes, other.#bytes);
  }

  /** The bytes themselves, not a copy, for encoding and hashing in subclasses. Never modify. */
  protected get view(): Uint8Array {
    return this.#bytes;
  }
}
