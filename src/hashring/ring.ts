/**
 * The HSDir hash ring for one (time period, SRV), and the responsible HSDirs
 * of a blinded key with tor's exact algorithm.
 *
 * Spec: rend-spec-v3 [WHERE-HSDESC]; tor `hs_common.c:
 * hs_get_responsible_hsdirs`; arti `tor-netdir/src/hsdir_ring.rs`.
 * ```
 * nodes = v3 HSDirs sorted by hsdir_index (memcmp order)
 * for replica in 1..hsdir_n_replicas:
 *     start = idx = first node with hsdir_index ≥ hs_index(replica)  (0 when none)
 *     added = 0
 *     while added < n_to_add:                      -- spread_store, or spread_fetch
 *         if nodes[idx] not yet chosen: choose it; added += 1
 *         idx = (idx + 1) mod len(nodes)
 *         if idx == start: break                   -- went round the ring
 * ```
 * Nodes chosen for an earlier replica are skipped, not counted.
 * We follow tor. OnionBalance 0.2.2 differs when a replica's walk wraps past
 * the end of the ring (on the real network too, whenever a replica starts
 * near the end): it reads the first node twice, stops that replica early and
 * then publishes nothing for that descriptor ("wrong number of responsible
 * HSDirs"); tests/hashring/ring_test.ts has such a case.
 *
 * Role: build once per (TP, SRV) — every relay's index is hashed and the list
 * sorted once — then answer each blinded key with `n_replicas` binary
 * searches. Pure; relays are handed back as given.
 *
 * @module
 */

import type { HsBlindIdKey, RelayEd25519Id } from "../keys/mod.ts";
import type { RingTimes, SharedRandomValue, TimePeriod } from "../time/mod.ts";
import { HsDirIndex, hsDirIndexer, hsIndex } from "./hsdir_index.ts";
import type { HsDirParams } from "./params.ts";
import { type HsDirRelay, isV3HsDir } from "./relay.ts";

/** Uploading a descriptor (`hsdir_spread_store` per replica) or fetching one (`hsdir_spread_fetch`). */
export type RingPurpose = "store" | "fetch";

/** Options of {@link HsDirRing.responsible}. */
export interface ResponsibleOptions {
  /** The consensus's ring parameters (`hsDirParams(consensus.params)`). */
  params: HsDirParams;
  /** Store (a service uploading) or fetch (a client). */
  purpose: RingPurpose;
}

/** A relay on the ring with its position. */
export interface RingEntry<R extends HsDirRelay> {
  /** The relay as the caller gave it. */
  readonly relay: R;
  /** Its `hsdir_index` for the ring's (TP, SRV). */
  readonly index: HsDirIndex;
}

/** Bytes per `hsdir_index`. */
const INDEX_BYTES = 32;

/**
 * The first 6 bytes of the 32 at `offset`, big-endian, as a number (exact: 48 bits). Ring order
 * is memcmp order; comparing these numbers first settles all but about one pair in 2^48.
 */
function prefixOf(bytes: Uint8Array, offset: number): number {
  const high = bytes[offset]! * 0x100 + bytes[offset + 1]!;
  const low = ((bytes[offset + 2]! << 24) | (bytes[offset + 3]! << 16) |
    (bytes[offset + 4]! << 8) | bytes[offset + 5]!) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/** memcmp of the 32 bytes at `a` and at `b` in `bytes`: negative, 0 or positive. */
function compareAt(x: Uint8Array, a: number, y: Uint8Array, b: number): number {
  for (let i = 0; i < INDEX_BYTES; i++) {
    const d = x[a + i]! - y[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The v3 HSDirs of one consensus, sorted by `hsdir_index` for one (TP, SRV).
 *
 * @example
 * ```ts
 * import { HsDirRing, hsDirParams } from "./mod.ts";
 * import { HsBlindIdKey, RelayEd25519Id } from "../keys/mod.ts";
 * import { SharedRandomValue, TimePeriod } from "../time/mod.ts";
 * const relays = [1, 2, 3, 4, 5].map((i) => ({
 *   nickname: `relay${i}`,
 *   flags: ["HSDir", "Running"],
 *   protocols: new Map([["HSDir", new Set([1, 2])]]),
 *   ed25519Id: RelayEd25519Id.fromBytes(new Uint8Array(32).fill(i)),
 * }));
 * const ring = HsDirRing.build(relays, {
 *   period: new TimePeriod(20000),
 *   srv: SharedRandomValue.fromBytes(new Uint8Array(32).fill(9)),
 * });
 * const blinded = HsBlindIdKey.fromBytes(new Uint8Array(32).fill(7));
 * ring.responsible(blinded, { params: hsDirParams(), purpose: "store" }).length; // 5
 * ```
 */
export class HsDirRing<R extends HsDirRelay> {
  /** The time period of every index on this ring. */
  readonly period: TimePeriod;
  /** The SRV of every `hsdir_index` on this ring. */
  readonly srv: SharedRandomValue;
  readonly #relays: readonly R[];
  /** Each relay's `hsdir_index`, 32 bytes after 32 bytes, in ring order. */
  readonly #indexes: Uint8Array;
  /** The first 6 bytes of each index as a number ({@link prefixOf}), in ring order. */
  readonly #prefixes: Float64Array;

  private constructor(times: RingTimes, relays: R[], indexes: Uint8Array, prefixes: Float64Array) {
    this.period = times.period;
    this.srv = times.srv;
    this.#relays = relays;
    this.#indexes = indexes;
    this.#prefixes = prefixes;
  }

  /**
   * Builds the ring: keeps the relays that qualify as v3 HSDirs (see
   * `relay.ts`), computes each one's `hsdir_index` for `times`, sorts them.
   * A relay object given twice is used once.
   *
   * @param relays Every relay of the consensus (the ring filters them).
   * @param times The (TP, SRV) of the descriptor or fetch (`HsTimeline` in `src/time/`).
   * @param options `reuse`: a ring of an earlier consensus; for the same (TP, SRV), the
   *   indexes of relays with the same identity object are taken from it, not hashed again.
   */
  static build<R extends HsDirRelay>(
    relays: Iterable<R>,
    times: RingTimes,
    options: { reuse?: HsDirRing<HsDirRelay> } = {},
  ): HsDirRing<R> {
    const seen = new Set<R>();
    const members: R[] = [];
    for (const relay of relays) {
      if (seen.has(relay) || !isV3HsDir(relay)) continue;
      seen.add(relay);
      members.push(relay);
    }
    const n = members.length;
    // Every index in one buffer, hashed in place (or copied from the ring reused).
    const indexes = new Uint8Array(n * INDEX_BYTES);
    const writeIndex = hsDirIndexer(times);
    const known = options.reuse === undefined ? undefined : options.reuse.#indexesFor(times);
    const prefixes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const id = members[i]!.ed25519Id!;
      const reused = known?.get(id);
      if (reused !== undefined) indexes.set(reused, i * INDEX_BYTES);
      else writeIndex(id, indexes, i * INDEX_BYTES);
      prefixes[i] = prefixOf(indexes, i * INDEX_BYTES);
    }
    // Sorted ascending by the 32-byte index compared as unsigned bytes (memcmp).
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) =>
      prefixes[a]! - prefixes[b]! ||
      compareAt(indexes, a * INDEX_BYTES, indexes, b * INDEX_BYTES)
    );
    const sorted = new Uint8Array(n * INDEX_BYTES);
    const sortedPrefixes = new Float64Array(n);
    order.forEach((from, to) => {
      sorted.set(indexes.subarray(from * INDEX_BYTES, (from + 1) * INDEX_BYTES), to * INDEX_BYTES);
      sortedPrefixes[to] = prefixes[from]!;
    });
    return new HsDirRing(times, order.map((i) => members[i]!), sorted, sortedPrefixes);
  }

  /**
   * Each relay identity object on this ring with its index, when the ring is
   * for the same (TP, SRV) as `times`; `undefined` otherwise. Keyed by object:
   * a network view hands the same `RelayEd25519Id` object to every consensus
   * whose microdescriptor for that relay is unchanged (`MicrodescCache`), and
   * an index depends only on the identity and the (TP, SRV).
   */
  #indexesFor(times: RingTimes): Map<RelayEd25519Id, Uint8Array> | undefined {
    if (!this.period.equals(times.period) || !this.srv.equals(times.srv)) return undefined;
    const map = new Map<RelayEd25519Id, Uint8Array>();
    this.#relays.forEach((relay, i) => map.set(relay.ed25519Id!, this.#indexAt(i)));
    return map;
  }

  /** The index bytes of the relay at ring position `i` (a view, not a copy). */
  #indexAt(i: number): Uint8Array {
    return this.#indexes.subarray(i * INDEX_BYTES, (i + 1) * INDEX_BYTES);
  }

  /** Number of relays on the ring. */
  get size(): number {
    return this.#relays.length;
  }

  /** The relays in ring order with their indexes. */
  entries(): RingEntry<R>[] {
    return this.#relays.map((relay, i) => ({
      relay,
      index: HsDirIndex.fromBytes(this.#indexAt(i)),
    }));
  }

  /** Position of the first relay whose index is ≥ `target` (lower bound; `size` when none). */
  #lowerBound(target: Uint8Array): number {
    const prefix = prefixOf(target, 0);
    let lo = 0;
    let hi = this.#prefixes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const below = this.#prefixes[mid]! < prefix ||
        (this.#prefixes[mid] === prefix &&
          compareAt(this.#indexes, mid * INDEX_BYTES, target, 0) < 0);
      if (below) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The responsible HSDirs of a blinded key, in tor's order (replica 1's
   * relays first). The blinded key must be for this ring's time period. An
   * empty ring gives an empty list; a small ring gives fewer relays than
   * `n_replicas × spread`.
   */
  responsible(blinded: HsBlindIdKey, options: ResponsibleOptions): R[] {
    const size = this.#relays.length;
    const chosen = new Set<number>();
    const result: R[] = [];
    if (size === 0) return result;
    const spread = options.purpose === "store"
      ? options.params.spreadStore
      : options.params.spreadFetch;
    for (let replica = 1; replica <= options.params.nReplicas; replica++) {
      const target = hsIndex(blinded, { replica, period: this.period }).toBytes();
      // start = idx = smartlist_bsearch_idx(...); wrap to 0 when past the end
      let idx = this.#lowerBound(target);
      if (idx === size) idx = 0;
      const start = idx;
      let added = 0;
      while (added < spread) {
        // Skip a node already selected (for this or an earlier replica).
        if (!chosen.has(idx)) {
          chosen.add(idx);
          result.push(this.#relays[idx]!);
          added++;
        }
        idx = (idx + 1) % size;
        if (idx === start) break; // went over the whole ring
      }
    }
    return result;
  }
}
