/**
 * Descriptor revision counters: the nominal {@link RevisionCounter} and
 * OnionBalance 0.2.x's order-preserving scheme, reproduced exactly so that
 * this balancer and an OnionBalance instance can publish the same address
 * side by side (during a migration) without the HSDirs rejecting either one's
 * descriptors as older.
 *
 * Spec: rend-spec-v3 Appendix F "Two methods for managing revision counters"
 * and [DESC-OUTER] ("revision-counter"); OnionBalance
 * `hs_v3/descriptor.py: OBDescriptor._get_revision_counter`,
 * `_get_ope_scheme_words`; tor `lib/crypt_ops/crypto_ope.c`.
 * ```
 * K = H("rev-counter-generation" | S)     -- S: the identity secret as OB holds it (no NUL)
 * T = (floor(now) − srv_start) + 1        -- srv_start: previous SR run (first desc), current (second)
 * revision_counter = Σ_{i<T} (w_i + 1)    -- w_i from AES-256-CTR(K, IV = 0), see crypto/ope.ts
 * ```
 * `S` is what OnionBalance's key object returns from `private_bytes(Raw)`:
 * the 32-byte seed for a PEM key, the 64-byte expanded key for a key loaded
 * from tor's `hs_ed25519_secret_key`. `now` is the wall clock (OnionBalance:
 * `datetime.utcnow()`), `srv_start` comes from the consensus valid-after.
 *
 * SPEC-DEVIATION(rend-spec App. F): tor keys the OPE with
 * `H("rev-counter-generation\0" | blinded ESK)` and caps T at 2^18; we key it
 * as OnionBalance does (interoperability with OnionBalance matters, with tor
 * it cannot: the two never publish the same descriptors). Like OnionBalance,
 * T ≤ 0 (a clock behind the consensus) gives 0.
 *
 * Role: pure given its inputs (the caller passes "now" from its `Clock`).
 * Never logs the key.
 *
 * @module
 */

import { opeEncrypt, sha3 } from "../crypto/mod.ts";
import type { UnixSeconds } from "../time/mod.ts";
import type { HsIdKeypair } from "./identity.ts";

const MAX_U64 = (1n << 64n) - 1n;

/** The `revision-counter` of a descriptor: an unsigned 64-bit integer. */
export class RevisionCounter {
  readonly #value: bigint;

  private constructor(value: bigint) {
    this.#value = value;
  }

  /**
   * @param value An integer in `[0, 2^64)`.
   * @throws {RangeError} When out of range or not an integer.
   */
  static from(value: number | bigint): RevisionCounter {
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`Cannot use revision counter ${value}: not a safe integer`);
    }
    const v = BigInt(value);
    if (v < 0n || v > MAX_U64) {
      throw new RangeError(`Cannot use revision counter ${v}: out of the uint64 range`);
    }
    return new RevisionCounter(v);
  }

  /** The value. */
  toBigInt(): bigint {
    return this.#value;
  }

  /** `INT_8(revision_counter)`, as the descriptor encryption's secret input has it. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, this.#value);
    return out;
  }

  /** Decimal, as in the `revision-counter` line. */
  toString(): string {
    return this.#value.toString();
  }

  /** Negative, 0 or positive as this is smaller, equal or larger. */
  compare(other: RevisionCounter): number {
    return this.#value < other.#value ? -1 : this.#value > other.#value ? 1 : 0;
  }

  /** Whether both are the same number. */
  equals(other: RevisionCounter): boolean {
    return this.#value === other.#value;
  }
}

/** Inputs of {@link obRevisionCounter}. */
export interface ObRevisionCounterOptions {
  /** The wall-clock time of the build, Unix seconds (fractions are dropped, as OnionBalance does). */
  now: UnixSeconds;
  /**
   * Start of the SR run of the descriptor's SRV (`DescriptorTimes.srvRunStart`
   * from `src/time/`): the previous run for the first descriptor, the current
   * run for the second.
   */
  srvRunStart: UnixSeconds;
}

/**
 * OnionBalance's OPE key `K = H("rev-counter-generation" | S)`, with `S` the
 * seed when the keypair has one, else the 64-byte expanded secret. A hash of
 * the secret: it reveals nothing of it, so an offline key bundle carries it
 * in place of the identity key (the counters stay those of the key).
 */
export function obRevisionKey(identity: HsIdKeypair): Uint8Array {
  const secret = identity.seed() ?? identity.expandedSecret();
  const key = sha3("rev-counter-generation", secret);
  secret.fill(0);
  return key;
}

/**
 * The revision counter OnionBalance 0.2.x would put in a descriptor for this
 * key at `now`. `identity` is the identity keypair or its
 * {@link obRevisionKey} (32 bytes).
 *
 * @throws {RangeError} When `now − srvRunStart` exceeds the OPE safety bound
 *   (about 48 days: a clock or consensus far off).
 *
 * @example
 * ```ts
 * import { obRevisionCounter } from "./revision_counter.ts";
 * import { HsIdKeypair } from "./identity.ts";
 * const key = HsIdKeypair.fromSeed(new Uint8Array(32).fill(7));
 * const early = await obRevisionCounter(key, { now: 1000, srvRunStart: 0 });
 * const later = await obRevisionCounter(key, { now: 1001, srvRunStart: 0 });
 * early.compare(later); // -1
 * ```
 */
export async function obRevisionCounter(
  identity: HsIdKeypair | Uint8Array,
  options: ObRevisionCounterOptions,
): Promise<RevisionCounter> {
  // now = int(datetime_to_unix(utcnow())); seconds_since_srv_start = now − srv_start + 1
  const seconds = Math.floor(options.now) - Math.floor(options.srvRunStart) + 1;
  // sum over zip(words, range(seconds)): empty when seconds ≤ 0
  if (seconds <= 0) return RevisionCounter.from(0);
  const key = identity instanceof Uint8Array ? identity.slice() : obRevisionKey(identity);
  if (key.length !== 32) throw new RangeError("Cannot use revision key: not 32 bytes");
  try {
    return RevisionCounter.from(await opeEncrypt(key, seconds));
  } finally {
    key.fill(0);
  }
}
