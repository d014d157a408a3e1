/**
 * Which intro points go into which frontend descriptor.
 *
 * Spec: rend-spec-v3 §2.5.4 (at most 20 intro points per descriptor; the
 * limit exists so that OnionBalance can give *distinct descriptors* to
 * different HSDirs), [WHERE-HSDESC] (clients fetch from one HSDir chosen at
 * random among the first `hsdir_spread_fetch` of each replica); tor
 * `hs_common.c: hs_get_responsible_hsdirs`, `hs_config.h:
 * HS_CONFIG_V3_MAX_INTRO_POINTS` (20, enforced by clients when decoding).
 *
 * 1. Each usable backend contributes up to `perBackend` intro points,
 *    preferring the ones already published (fewer descriptor changes).
 * 2. If they fit in one descriptor (or distinct descriptors are off), one
 *    descriptor carries them all (off: the first 20 in round-robin order).
 * 3. Otherwise the backends are split into `g` groups, where `g` is the
 *    smallest divisor of the fetch-slot count `F = n_replicas × spread_fetch`
 *    (6 on the real network) with `⌈total / g⌉ ≤ 20` (with fewer backends
 *    than that, the largest divisor not above the backend count; groups are
 *    then trimmed to 20). Fetch slot `i` (the `i`-th of the HSDirs clients
 *    choose from, tor's `hs_get_responsible_hsdirs(…, for_fetching)`) gets
 *    group `i mod g`, so every group is served by exactly `F / g` HSDirs and
 *    every backend is fetched by the same share of clients. The other HSDirs
 *    of the store set get groups in turn as well.
 * 4. When a descriptor is built, its shuffled intro points keep one per relay
 *    ({@link onePerRelay}).
 *
 * Role: pure functions.
 *
 * @module
 */

/** One backend's candidate intro points. */
export interface BackendOffer<T> {
  /** The backend's address (a stable key). */
  readonly backend: string;
  /** Its intro points, in descriptor order. */
  readonly introPoints: readonly T[];
}

/** Options of {@link chooseIntroPoints}. */
export interface ChooseOptions<T> {
  /** How many intro points each backend contributes at most. */
  perBackend: number;
  /** Identity of an intro point (its auth key). */
  idOf: (point: T) => string;
  /** Intro points published last time: kept when still offered. */
  previous?: ReadonlySet<string>;
}

/** Up to `perBackend` intro points of each backend, keeping previously published ones first. */
export function chooseIntroPoints<T>(
  offers: readonly BackendOffer<T>[],
  options: ChooseOptions<T>,
): BackendOffer<T>[] {
  return offers.map(({ backend, introPoints }) => {
    const kept = introPoints.filter((p) => options.previous?.has(options.idOf(p)) === true);
    const fresh = introPoints.filter((p) => options.previous?.has(options.idOf(p)) !== true);
    return { backend, introPoints: [...kept, ...fresh].slice(0, options.perBackend) };
  });
}

/** Interleaves lists: a1 b1 c1 a2 b2 c2 … (breadth-first over backends). */
export function roundRobin<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]!);
  }
  return out;
}

/** Options of {@link planDescriptors}. */
export interface PlanOptions {
  /** Intro points one descriptor may hold (20). */
  maxPerDescriptor: number;
  /** `n_replicas × spread_fetch`: how many HSDirs clients choose among. */
  fetchSlots: number;
  /** Whether distinct descriptors are allowed. */
  distinct: boolean;
}

/**
 * Splits the chosen intro points into descriptor groups (see the module comment).
 * Returns one group when everything fits; never an empty group.
 */
export function planDescriptors<T>(
  chosen: readonly BackendOffer<T>[],
  options: PlanOptions,
): T[][] {
  const offers = chosen.filter((o) => o.introPoints.length > 0);
  const total = offers.reduce((n, o) => n + o.introPoints.length, 0);
  const max = options.maxPerDescriptor;
  if (total === 0) return [];
  if (total <= max || !options.distinct || options.fetchSlots <= 1 || offers.length === 1) {
    return [roundRobin(offers.map((o) => o.introPoints)).slice(0, max)];
  }
  const divisors = Array.from({ length: options.fetchSlots }, (_, i) => i + 1)
    .filter((d) => options.fetchSlots % d === 0);
  const wanted = divisors.find((d) => Math.ceil(total / d) <= max) ?? options.fetchSlots;
  // Whole backends per group: never more groups than backends, and always a divisor of F.
  const groupCount = divisors.filter((d) => d <= Math.min(wanted, offers.length)).at(-1)!;
  // Whole backends per group, largest first onto the emptiest group (balanced sizes).
  const groups: BackendOffer<T>[][] = Array.from({ length: groupCount }, () => []);
  const sizes = new Array<number>(groupCount).fill(0);
  const ordered = [...offers].sort((a, b) => b.introPoints.length - a.introPoints.length);
  for (const offer of ordered) {
    const target = sizes.indexOf(Math.min(...sizes));
    groups[target]!.push(offer);
    sizes[target]! += offer.introPoints.length;
  }
  return groups.map((group) => roundRobin(group.map((o) => o.introPoints)).slice(0, max));
}

/**
 * Which group each responsible HSDir gets. `isFetchSlot[i]` says whether the
 * `i`-th responsible HSDir (store set, tor's order) is one clients fetch from
 * (it is in `hs_get_responsible_hsdirs(…, for_fetching)`, which is not always
 * the first `spread_fetch` of each replica: a replica skips the HSDirs already
 * chosen, and the fetch walk skips fewer of them than the store walk). The
 * fetch-slot HSDirs get groups `0, 1, …, g−1, 0, …` in order; the others too.
 */
export function assignGroups(isFetchSlot: readonly boolean[], groupCount: number): number[] {
  if (groupCount <= 1) return new Array<number>(isFetchSlot.length).fill(0);
  let fetchSlot = 0;
  let otherSlot = 0;
  return isFetchSlot.map((fetch) => (fetch ? fetchSlot++ : otherSlot++) % groupCount);
}

/** What {@link onePerRelay} keeps and leaves out. */
export interface OnePerRelay<T> {
  /** The intro points to publish, one per relay, in descriptor order. */
  kept: T[];
  /** Intro points left out: another one of the descriptor is on the same relay. */
  sameRelay: T[];
}

/**
 * Keeps one intro point per relay in a descriptor, choosing them so that as many backends as
 * possible keep one.
 *
 * A tor client picks an intro point at random, builds a circuit to its relay, then introduces
 * with the first intro point of the descriptor on that relay (tor `hs_client.c:
 * setup_intro_circ_auth_key` → `find_desc_intro_point_by_legacy_id`, which returns the first
 * match), so an intro point listed after another one on the same relay is never used. Worse,
 * once that first one is gone (retired by a busy backend, or its relay restarted), the client
 * notes the failure against the first one while the later one stays usable: it picks the later
 * one again and again, each time introducing with the dead one's key and getting a NACK, which
 * is a loop of circuits without end (over a hundred a second, measured). A tor service never
 * puts two of its intro points on one relay; a balancer merging several backends must not
 * either.
 *
 * Backends (taken in the given, shuffled order) each claim a relay with one of their intro
 * points, as many backends as the relays allow (a backend whose relays are taken moves an
 * earlier one to another of its relays); those come first, in backend order, then every other
 * intro point whose relay is still free, in the given order. An intro point whose relay is
 * unknown (no link specifier naming it) is kept. On a large network relays rarely repeat and
 * this keeps the shuffle.
 */
export function onePerRelay<T>(
  points: readonly T[],
  keys: { backendOf: (point: T) => string; relayOf: (point: T) => string | undefined },
): OnePerRelay<T> {
  const backends = [...new Set(points.map(keys.backendOf))];
  const own = new Map(backends.map((b) => [b, points.filter((p) => keys.backendOf(p) === b)]));
  // A maximum matching of backends to relays (augmenting paths): a backend whose relays are
  // all taken moves an earlier one to another of its relays when it can.
  const holder = new Map<string, { backend: string; point: T }>();
  const claim = (backend: string, visited: Set<string>): boolean => {
    const mine = own.get(backend)!;
    // A free relay first: the shuffle's choice stands where nothing needs to move.
    for (const point of mine) {
      const relay = keys.relayOf(point);
      if (relay !== undefined && !holder.has(relay)) {
        holder.set(relay, { backend, point });
        return true;
      }
    }
    for (const point of mine) {
      const relay = keys.relayOf(point);
      if (relay === undefined || visited.has(relay)) continue;
      visited.add(relay);
      if (claim(holder.get(relay)!.backend, visited)) {
        holder.set(relay, { backend, point });
        return true;
      }
    }
    return false;
  };
  for (const backend of backends) claim(backend, new Set());
  const picked = new Map([...holder.values()].map((h) => [h.backend, h.point]));
  const first = backends.map((b) => picked.get(b)).filter((p): p is T => p !== undefined);
  const claimed = new Set(holder.keys());
  const kept = [...first];
  const sameRelay: T[] = [];
  for (const p of points) {
    if (first.includes(p)) continue;
    const relay = keys.relayOf(p);
    if (relay === undefined) kept.push(p);
    else if (claimed.has(relay)) sameRelay.push(p);
    else {
      claimed.add(relay);
      kept.push(p);
    }
  }
  return { kept, sameRelay };
}
