import assert from "node:assert/strict";
import fc from "fast-check";
import {
  assignGroups,
  chooseIntroPoints,
  onePerRelay,
  planDescriptors,
  roundRobin,
} from "../../src/balancer/mod.ts";
import type { BackendOffer } from "../../src/balancer/selection.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { HsBlindIdKey } from "../../src/keys/mod.ts";
import { networkView } from "./_fixtures.ts";

/** `count` backends named b0, b1, … each offering `per` intro points "bI/J". */
function offers(count: number, per: number | ((i: number) => number)): BackendOffer<string>[] {
  return Array.from({ length: count }, (_, i) => {
    const n = typeof per === "number" ? per : per(i);
    return { backend: `b${i}`, introPoints: Array.from({ length: n }, (_, j) => `b${i}/${j}`) };
  });
}

const backendOf = (point: string) => point.split("/")[0]!;
const PLAN = { maxPerDescriptor: 20, fetchSlots: 6, distinct: true };

Deno.test("chooseIntroPoints() takes at most perBackend intro points of each backend", () => {
  const chosen = chooseIntroPoints(offers(3, (i) => i + 1), { perBackend: 2, idOf: (p) => p });
  assert.deepEqual(chosen, [
    { backend: "b0", introPoints: ["b0/0"] },
    { backend: "b1", introPoints: ["b1/0", "b1/1"] },
    { backend: "b2", introPoints: ["b2/0", "b2/1"] },
  ]);
});

Deno.test("chooseIntroPoints() keeps previously published intro points first", () => {
  const chosen = chooseIntroPoints(offers(2, 4), {
    perBackend: 2,
    idOf: (p) => p,
    previous: new Set(["b0/3", "b1/2", "b1/3", "gone/0"]),
  });
  assert.deepEqual(chosen, [
    { backend: "b0", introPoints: ["b0/3", "b0/0"] },
    { backend: "b1", introPoints: ["b1/2", "b1/3"] },
  ]);
});

Deno.test("chooseIntroPoints() keeps a backend that offers nothing, with no intro points", () => {
  const chosen = chooseIntroPoints([{ backend: "b0", introPoints: [] }], {
    perBackend: 2,
    idOf: (p: string) => p,
  });
  assert.deepEqual(chosen, [{ backend: "b0", introPoints: [] }]);
});

Deno.test("roundRobin() interleaves lists breadth first, skipping exhausted ones", () => {
  assert.deepEqual(roundRobin([["a1", "a2", "a3"], ["b1"], [], ["c1", "c2"]]), [
    "a1",
    "b1",
    "c1",
    "a2",
    "c2",
    "a3",
  ]);
  assert.deepEqual(roundRobin([]), []);
  assert.deepEqual(roundRobin([[], []]), []);
});

Deno.test("planDescriptors() makes one descriptor when everything fits in 20", () => {
  const groups = planDescriptors(offers(10, 2), PLAN);
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0], roundRobin(offers(10, 2).map((o) => o.introPoints)));
});

Deno.test("planDescriptors() with distinct descriptors off keeps the first 20 in round-robin order", () => {
  const all = offers(12, 2);
  const groups = planDescriptors(all, { ...PLAN, distinct: false });
  assert.equal(groups.length, 1);
  assert.equal(groups[0]!.length, 20);
  assert.deepEqual(groups[0], roundRobin(all.map((o) => o.introPoints)).slice(0, 20));
  // Breadth first: every backend's first intro point is in.
  assert.equal(new Set(groups[0]!.map(backendOf)).size, 12);
});

Deno.test("planDescriptors() splits 12 backends × 2 into 2 balanced groups of 12 for 6 fetch slots", () => {
  const groups = planDescriptors(offers(12, 2), PLAN);
  assert.equal(groups.length, 2);
  assert.deepEqual(groups.map((g) => g.length), [12, 12]);
  // Whole backends per group, every intro point exactly once.
  const [a, b] = groups.map((g) => new Set(g.map(backendOf)));
  assert.equal(a!.size, 6);
  assert.equal(b!.size, 6);
  assert.deepEqual([...a!].filter((x) => b!.has(x)), []);
  assert.deepEqual(groups.flat().sort(), offers(12, 2).flatMap((o) => o.introPoints).sort());
});

Deno.test("planDescriptors() keeps groups at most 20 for 61 backends × 2 (122 > 6 × 20)", () => {
  const groups = planDescriptors(offers(61, 2), PLAN);
  assert.equal(groups.length, 6);
  for (const group of groups) {
    assert.ok(group.length > 0 && group.length <= 20, `group of ${group.length}`);
  }
  // Trimming a group keeps one intro point of every backend in it (breadth first).
  assert.equal(new Set(groups.flat().map(backendOf)).size, 61);
});

Deno.test("planDescriptors() never returns an empty group and skips backends without intro points", () => {
  assert.deepEqual(planDescriptors([], PLAN), []);
  assert.deepEqual(planDescriptors(offers(3, 0), PLAN), []);
  const mixed = [...offers(2, 0), ...offers(1, 2)];
  assert.deepEqual(planDescriptors(mixed, PLAN), [["b0/0", "b0/1"]]);
});

Deno.test("planDescriptors() picks a group count that divides the fetch slots when backends are few", () => {
  // 4 backends × 20: 80 intro points would want 6 groups, but only 4 whole backends exist;
  // 4 groups would give 6 fetch slots to 4 descriptors unevenly, so 3 (trimmed to 20 each).
  const groups = planDescriptors(offers(4, 20), PLAN);
  assert.equal(groups.length, 3);
  assert.ok(groups.every((g) => g.length === 20));
});

Deno.test("planDescriptors() groups: divisor of the fetch slots, 1–20 intro points, whole backends, balanced", () => {
  for (const fetchSlots of [1, 4, 5, 6, 9]) {
    for (const per of [1, 2, 3, 5, 10, 20]) {
      for (const count of [1, 2, 3, 4, 7, 10, 11, 12, 21, 40, 61]) {
        const all = offers(count, per);
        const groups = planDescriptors(all, { ...PLAN, fetchSlots });
        const label = `F=${fetchSlots} per=${per} backends=${count}`;
        assert.ok(groups.length >= 1, label);
        assert.equal(fetchSlots % groups.length, 0, label);
        const owners = new Map<string, number>();
        for (const [i, group] of groups.entries()) {
          assert.ok(group.length >= 1 && group.length <= 20, label);
          for (const point of group) {
            const previous = owners.get(backendOf(point));
            assert.ok(previous === undefined || previous === i, `${label}: backend split`);
            owners.set(backendOf(point), i);
          }
        }
        if (groups.length > 1) {
          const sizes = groups.map((g) => g.length);
          assert.ok(Math.max(...sizes) - Math.min(...sizes) <= per, `${label}: ${sizes}`);
        }
      }
    }
  }
});

Deno.test("assignGroups() deals fetch-slot HSDirs and the others round-robin", () => {
  const fetch = [true, true, true, false, true, true, true, false];
  assert.deepEqual(assignGroups(fetch, 2), [0, 1, 0, 0, 1, 0, 1, 1]);
  assert.deepEqual(assignGroups(fetch, 3), [0, 1, 2, 0, 0, 1, 2, 1]);
  assert.deepEqual(assignGroups(fetch, 1), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(assignGroups([], 2), []);
});

/** Checks, for many blinded keys on `view`, that each group gets F/g of the HSDirs clients fetch from. */
function checkBalancedOnRing(view: ReturnType<typeof networkView>, keys: number): number {
  const times = view.timeline.descriptor("second");
  const { nReplicas, spreadFetch } = view.params;
  const fetchSlots = nReplicas * spreadFetch;
  const rng = seededRng("blinded keys");
  let irregular = 0;
  for (let k = 0; k < keys; k++) {
    const blinded = HsBlindIdKey.fromBytes(rng(32));
    const store = view.responsible(blinded, times, "store");
    const fetch = new Set(view.responsible(blinded, times, "fetch"));
    assert.equal(fetch.size, fetchSlots);
    assert.ok([...fetch].every((r) => store.includes(r)), "fetch set inside the store set");
    const isFetch = store.map((r) => fetch.has(r));
    const naive = store.map((_, i) => i % view.params.spreadStore < spreadFetch);
    if (isFetch.join() !== naive.join()) irregular++;
    for (const groupCount of [2, 3, 6]) {
      const assignment = assignGroups(isFetch, groupCount);
      const perGroup = new Array<number>(groupCount).fill(0);
      assignment.forEach((g, i) => {
        if (isFetch[i]) perGroup[g]!++;
      });
      assert.deepEqual(perGroup, new Array(groupCount).fill(fetchSlots / groupCount));
    }
  }
  return irregular;
}

Deno.test("assignGroups() gives every group the same number of fetch HSDirs (2 × 4, fetch 3)", () => {
  const view = networkView({ hsDirs: 40 });
  assert.deepEqual(view.params, { nReplicas: 2, spreadStore: 4, spreadFetch: 3 });
  checkBalancedOnRing(view, 100);
  // On a small ring the replicas overlap: the fetch set is then not "the first 3 of each
  // replica's 4", and the balance must still hold.
  const small = networkView({ hsDirs: 9, seed: "small ring" });
  assert.ok(checkBalancedOnRing(small, 100) > 0, "no overlapping replicas were exercised");
});

Deno.test("assignGroups() gives every group the same number of fetch HSDirs (2 × 3, fetch 3)", () => {
  const view = networkView({ hsDirs: 40, params: { hsdir_spread_store: 3 } });
  assert.deepEqual(view.params, { nReplicas: 2, spreadStore: 3, spreadFetch: 3 });
  checkBalancedOnRing(view, 100);
  checkBalancedOnRing(networkView({ hsDirs: 8, params: { hsdir_spread_store: 3 } }), 100);
});

Deno.test("onePerRelay() keeps one intro point per relay, each backend keeping one where it can", () => {
  // a1, b1 and c1 share relay R1; b has another intro point on R2, c on R3; d's relay is unknown.
  const points = [
    { id: "a1", backend: "a", relay: "R1" },
    { id: "b1", backend: "b", relay: "R1" },
    { id: "b2", backend: "b", relay: "R2" },
    { id: "c1", backend: "c", relay: "R1" },
    { id: "c2", backend: "c", relay: "R3" },
    { id: "c3", backend: "c", relay: "R4" },
    { id: "a2", backend: "a", relay: "R4" },
    { id: "d1", backend: "d", relay: undefined },
  ];
  const { kept, sameRelay } = onePerRelay(points, {
    backendOf: (p) => p.backend,
    relayOf: (p) => p.relay,
  });
  assert.deepEqual(kept.map((p) => p.id), ["a1", "b2", "c2", "c3", "d1"]);
  assert.deepEqual(sameRelay.map((p) => p.id), ["b1", "c1", "a2"]);
  // Never two on one relay, and every backend with a free relay kept one.
  const relays = kept.map((p) => p.relay).filter((r) => r !== undefined);
  assert.equal(new Set(relays).size, relays.length);
  assert.deepEqual([...new Set(kept.map((p) => p.backend))].sort(), ["a", "b", "c", "d"]);
});

Deno.test("onePerRelay() moves an earlier backend to another relay so that a later one keeps one", () => {
  // Taken greedily, a would take R1 and leave b nothing.
  const points = [
    { id: "a1", backend: "a", relay: "R1" },
    { id: "a2", backend: "a", relay: "R2" },
    { id: "b1", backend: "b", relay: "R1" },
  ];
  const { kept, sameRelay } = onePerRelay(points, {
    backendOf: (p) => p.backend,
    relayOf: (p) => p.relay,
  });
  assert.deepEqual(kept.map((p) => p.id), ["a2", "b1"]);
  assert.deepEqual(sameRelay.map((p) => p.id), ["a1"]);
});

Deno.test("onePerRelay() keeps every intro point, in the given order, when relays do not repeat", () => {
  const points = ["x", "y", "z"].map((id) => ({ id, relay: `R-${id}` }));
  const { kept, sameRelay } = onePerRelay(points, {
    backendOf: () => "one",
    relayOf: (p) => p.relay,
  });
  assert.deepEqual(kept, points);
  assert.deepEqual(sameRelay, []);
});

/** The most backends that can each keep one intro point on a relay of its own (brute force). */
function mostBackendsApart(byBackend: readonly (readonly string[])[]): number {
  const best = (i: number, taken: ReadonlySet<string>): number => {
    if (i === byBackend.length) return 0;
    let most = best(i + 1, taken); // this backend keeps none
    for (const relay of new Set(byBackend[i])) {
      if (!taken.has(relay)) most = Math.max(most, 1 + best(i + 1, new Set([...taken, relay])));
    }
    return most;
  };
  return best(0, new Set());
}

Deno.test("onePerRelay(): one per relay, nothing lost, and as many backends kept as the relays allow (property)", () => {
  const relay = fc.constantFrom("R1", "R2", "R3", "R4");
  fc.assert(
    fc.property(fc.array(fc.array(relay, { maxLength: 3 }), { maxLength: 5 }), (byBackend) => {
      const points = byBackend.flatMap((relays, b) =>
        relays.map((r, i) => ({ id: `${b}.${i}`, backend: `b${b}`, relay: r }))
      );
      const { kept, sameRelay } = onePerRelay(points, {
        backendOf: (p) => p.backend,
        relayOf: (p) => p.relay,
      });
      assert.equal(new Set(kept.map((p) => p.relay)).size, kept.length);
      assert.deepEqual(
        [...kept, ...sameRelay].map((p) => p.id).sort(),
        points.map((p) => p.id).sort(),
      );
      assert.equal(new Set(kept.map((p) => p.backend)).size, mostBackendsApart(byBackend));
    }),
    { numRuns: 2000, seed: 17 },
  );
});
