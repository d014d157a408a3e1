/**
 * A bounded big-endian byte reader, like arti's tor-bytes `Reader`: every read
 * checks the remaining length and throws a typed error instead of returning
 * `undefined` or reading past the end.
 *
 * @module
 */

import { BytesError } from "./errors.ts";

/** Reads integers and byte strings from a buffer, front to back. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  /** @param bytes The buffer to read; it is not copied, so do not change it while reading. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(n: number): Uint8Array {
    if (n > this.remaining) {
      throw new BytesError(
        "Truncated",
        `Cannot read ${n} bytes at offset ${this.#offset}: only ${this.remaining} left`,
      );
    }
    const out = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** Reads one byte. */
  u8(): number {
    return this.#take(1)[0]!;
  }

  /** Reads a 2-byte big-endian unsigned integer. */
  u16(): number {
    const b = this.#take(2);
    return (b[0]! << 8) | b[1]!;
  }

  /** Reads a 4-byte big-endian unsigned integer. */
  u32(): number {
    const b = this.#take(4);
    return ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
  }

  /** Reads `n` bytes (a copy). */
  bytes(n: number): Uint8Array {
    return this.#take(n).slice();
  }

  /** Reads everything that is left (a copy). */
  rest(): Uint8Array {
    return this.#take(this.remaining).slice();
  }

  /**
   * Checks that the whole buffer was consumed.
   *
   * @throws {BytesError} `TrailingBytes` when bytes are left.
   */
  end(): void {
    if (this.remaining !== 0) {
      throw new BytesError("TrailingBytes", `Unexpected ${this.remaining} trailing bytes`);
    }
  }
}
