/**
 * Small helpers on byte arrays: concatenation, comparison, big-endian integers.
 *
 * @module
 */

/** Concatenates byte arrays (and ASCII strings, encoded as UTF-8) into one new array. */
export function concat(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  const arrays = parts.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p);
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** `INT_8(x)`: x as 8 bytes, big-endian (rend-spec notation). */
export function u64be(value: number | bigint): Uint8Array {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    // The common case (time periods, replica numbers) without a BigInt.
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, Math.floor(value / 0x1_0000_0000));
    view.setUint32(4, value >>> 0);
    return out;
  }
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`Cannot encode ${v} as INT_8: out of range`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

/** Whether two byte arrays hold the same bytes (not constant time; see crypto for that). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares byte arrays as unsigned bytes (memcmp order): negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
