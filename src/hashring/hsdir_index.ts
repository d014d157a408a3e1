/**
 * Positions on the HSDir hash ring: a service's `hs_index` for each replica
 * and a relay's `hsdir_index`.
 *
 * Spec: rend-spec-v3 §2.2.3 [WHERE-HSDESC]
 * (https://spec.torproject.org/rend-spec/deriving-keys.html#WHERE-HSDESC);
 * tor `hs_common.c: hs_build_hs_index, hs_build_hsdir_index`.
 * ```
 * hs_index(replica)  = H("store-at-idx" | A' | INT_8(replica) | INT_8(period_length) | INT_8(period_num))
 * hsdir_index(node)  = H("node-idx" | node_identity | SRV | INT_8(period_num) | INT_8(period_length))
 * ```
 * The two formulas order the period integers differently (length first in
 * `hs_index`, number first in `hsdir_index`); the spec and tor agree on this.
 *
 * @module
 */

import { compareBytes, concat, FixedBytes, toHex, u64be } from "../bytes/mod.ts";
import { sha3, sha3Into } from "../crypto/mod.ts";
import type { HsBlindIdKey, RelayEd25519Id } from "../keys/mod.ts";
import type { RingTimes, TimePeriod } from "../time/mod.ts";

/** A service's ring position for one replica (`hs_service_index` / `hs_index`). */
export class HsIndex extends FixedBytes {
  declare protected readonly role: "HsIndex";

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): HsIndex {
    return new HsIndex(bytes, 32, "hs_index");
  }

  /** Lowercase hex, for logs. */
  override toString(): string {
    return toHex(this.view);
  }
}

/** A relay's ring position for one (time period, SRV) (`hs_relay_index` / `hsdir_index`). */
export class HsDirIndex extends FixedBytes {
  declare protected readonly role: "HsDirIndex";

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): HsDirIndex {
    return new HsDirIndex(bytes, 32, "hsdir_index");
  }

  /** Lowercase hex, for logs. */
  override toString(): string {
    return toHex(this.view);
  }

  /** Ring order (memcmp of the 32 bytes): negative, 0 or positive. */
  compare(other: HsDirIndex): number {
    return compareBytes(this.view, other.view);
  }
}

/** Inputs of {@link hsIndex} besides the blinded key. */
export interface HsIndexOptions {
  /** `replicanum`, 1-based (1 … `hsdir_n_replicas`). */
  replica: number;
  /** The descriptor's time period (length and number). */
  period: TimePeriod;
}

/**
 * `hs_index(replica)` of a blinded key, rend-spec [WHERE-HSDESC].
 *
 * @throws {RangeError} When `replica` is not a positive integer.
 *
 * @example
 * ```ts
 * import { hsIndex } from "./hsdir_index.ts";
 * import { HsBlindIdKey } from "../keys/mod.ts";
 * import { TimePeriod } from "../time/mod.ts";
 * const blinded = HsBlindIdKey.fromBytes(new Uint8Array(32).fill(0x42));
 * hsIndex(blinded, { replica: 1, period: new TimePeriod(42) }).toString().slice(0, 8); // "37e5cbbd"
 * ```
 */
export function hsIndex(blinded: HsBlindIdKey, options: HsIndexOptions): HsIndex {
  const { replica, period } = options;
  if (!Number.isSafeInteger(replica) || replica < 1) {
    throw new RangeError(`Cannot compute hs_index: bad replica ${replica}`);
  }
  // H("store-at-idx" | blinded_public_key | INT_8(replicanum) | INT_8(period_length) | INT_8(period_num))
  return HsIndex.fromBytes(
    sha3(
      "store-at-idx",
      blinded.toBytes(),
      u64be(replica),
      period.lengthBytes(),
      period.numberBytes(),
    ),
  );
}

/**
 * `hsdir_index(node)` of a relay for one (time period, SRV), rend-spec [WHERE-HSDESC].
 *
 * @example
 * ```ts
 * import { hsDirIndex } from "./hsdir_index.ts";
 * import { RelayEd25519Id } from "../keys/mod.ts";
 * import { SharedRandomValue, TimePeriod } from "../time/mod.ts";
 * const relay = RelayEd25519Id.fromBytes(new Uint8Array(32).fill(0x42));
 * const srv = SharedRandomValue.fromBytes(new Uint8Array(32).fill(0x43));
 * hsDirIndex(relay, { period: new TimePeriod(42), srv }).toString().slice(0, 8); // "db475361"
 * ```
 */
export function hsDirIndex(relay: RelayEd25519Id, times: RingTimes): HsDirIndex {
  // H("node-idx" | node_identity | shared_random_value | INT_8(period_num) | INT_8(period_length))
  return HsDirIndex.fromBytes(
    sha3(
      "node-idx",
      relay.toBytes(),
      times.srv.toBytes(),
      times.period.numberBytes(),
      times.period.lengthBytes(),
    ),
  );
}

/**
 * `hsdir_index` of many relays for one (time period, SRV): the hash input is
 * laid out once and only the relay identity changes, and each index is written
 * straight into the caller's buffer, so a ring of thousands of relays costs one
 * SHA3-256 per relay and no other allocation. Gives the same bytes as
 * {@link hsDirIndex}.
 *
 * @returns A function that writes a relay's 32 index bytes into `out` at `offset`.
 */
export function hsDirIndexer(
  times: RingTimes,
): (relay: RelayEd25519Id, out: Uint8Array, offset: number) => void {
  // H("node-idx" | node_identity | shared_random_value | INT_8(period_num) | INT_8(period_length))
  const input = concat(
    "node-idx",
    new Uint8Array(32),
    times.srv.toBytes(),
    times.period.numberBytes(),
    times.period.lengthBytes(),
  );
  const idOffset = "node-idx".length;
  return (relay, out, offset) => {
    relay.copyTo(input, idOffset);
    sha3Into(out, offset, input);
  };
}
