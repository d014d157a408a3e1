import assert from "node:assert/strict";
import { NetworkView } from "../../src/balancer/mod.ts";
import { blindPublicKey } from "../../src/keys/mod.ts";
import { frontendKey, networkDocuments, VALID_AFTER } from "./_fixtures.ts";

const DOCS = networkDocuments({ hsDirs: 12 });
const VIEW = NetworkView.fromDocuments(DOCS.consensus, DOCS.microdescs, {
  isTestingNetwork: false,
});

Deno.test("NetworkView.fromDocuments() keeps on the ring only HSDir-flagged HSDir=2 relays with an ed25519 id", () => {
  assert.equal(VIEW.relays.length, 16);
  assert.deepEqual(
    VIEW.hsDirs.map((r) => r.fingerprint),
    DOCS.relays.filter((r) => r.onRing).map((r) => r.fingerprint),
  );
  assert.equal(VIEW.hsDirs.length, 12);
  assert.equal(VIEW.relaysWithoutMicrodesc, 2, "no `id ed25519` line, and no microdescriptor");
  assert.deepEqual(VIEW.params, { nReplicas: 2, spreadStore: 4, spreadFetch: 3 });
  assert.equal(VIEW.timeline.currentPeriod.number, 21915);
});

Deno.test("NetworkView.isLive() accepts tor's ±24 h around the consensus", () => {
  const validUntil = VALID_AFTER + 3 * 3600;
  assert.ok(VIEW.isLive(VALID_AFTER - 86400));
  assert.ok(!VIEW.isLive(VALID_AFTER - 86400 - 1));
  assert.ok(VIEW.isLive(validUntil + 86400));
  assert.ok(!VIEW.isLive(validUntil + 86400 + 1));
});

Deno.test("NetworkView.responsible() gives 8 distinct HSDirs per descriptor and builds each ring once", () => {
  const times = VIEW.timeline.descriptor("second");
  const blinded = blindPublicKey(frontendKey().public, times.period);
  const store = VIEW.responsible(blinded, times);
  assert.equal(new Set(store).size, 8);
  assert.equal(VIEW.responsible(blinded, times, "fetch").length, 6);
  assert.equal(VIEW.ring(times), VIEW.ring({ period: times.period, srv: times.srv }));
  assert.notEqual(VIEW.ring(times), VIEW.ring(VIEW.timeline.descriptor("first")));
});

Deno.test("NetworkView.fromDocuments() uses the testing-network time-period length when asked", () => {
  const docs = networkDocuments({ hsDirs: 4, votingIntervalSeconds: 20 });
  const view = NetworkView.fromDocuments(docs.consensus, docs.microdescs, {
    isTestingNetwork: true,
  });
  assert.equal(view.timeline.periodLengthMinutes, 8);
});

/** Every ring entry of `view` for both descriptors: fingerprints and index bytes. */
function ringEntries(view: NetworkView): string[] {
  return (["first", "second"] as const).flatMap((slot) =>
    view.ring(view.timeline.descriptor(slot)).entries().map((e) =>
      `${slot} ${e.relay.fingerprint} ${e.index.toString()}`
    )
  );
}

Deno.test("NetworkView.fromDocuments({ previous }) reuses unchanged microdescriptors and ring indexes, with the same results", () => {
  // The first 30 relays the same in both (the fixture's random stream), then new ones.
  const before = networkDocuments({ hsDirs: 30 });
  const after = networkDocuments({ hsDirs: 40 });
  const old = NetworkView.fromDocuments(before.consensus, before.microdescs, {
    isTestingNetwork: false,
  });
  const oldRings = ringEntries(old);
  const fresh = NetworkView.fromDocuments(after.consensus, after.microdescs, {
    isTestingNetwork: false,
  });
  const reused = NetworkView.fromDocuments(after.consensus, after.microdescs, {
    isTestingNetwork: false,
    previous: old,
  });
  assert.deepEqual(ringEntries(reused), ringEntries(fresh));
  assert.deepEqual(
    reused.relays.map((r) => [r.fingerprint, r.ed25519Id?.toString()]),
    fresh.relays.map((r) => [r.fingerprint, r.ed25519Id?.toString()]),
  );
  // The unchanged relays carry the very identity objects of the view before (not hashed or
  // decoded again); the new ones do not.
  const oldIds = new Set(old.relays.map((r) => r.ed25519Id).filter((id) => id !== undefined));
  const shared = reused.relays.filter((r) => r.ed25519Id !== undefined && oldIds.has(r.ed25519Id));
  // 30 first relays, and 2 of the fixture's 4 special relays whose microdescriptor text the
  // random stream happens to repeat (relay30 and relay31 of the view before).
  assert.equal(shared.length, 32);
  assert.equal(fresh.relays.filter((r) => r.ed25519Id && oldIds.has(r.ed25519Id)).length, 0);
  // The view before still answers as it did.
  assert.deepEqual(ringEntries(old), oldRings);
  // A chain of views: the third from the second, same results as fresh.
  const third = NetworkView.fromDocuments(before.consensus, before.microdescs, {
    isTestingNetwork: false,
    previous: reused,
  });
  assert.deepEqual(ringEntries(third), oldRings);
});

Deno.test("NetworkView.fromDocuments({ previous }) on another time period builds its rings from scratch, correctly", () => {
  const before = networkDocuments({ hsDirs: 20 });
  const later = networkDocuments({ hsDirs: 20, validAfter: VALID_AFTER + 2 * 86400 });
  const old = NetworkView.fromDocuments(before.consensus, before.microdescs, {
    isTestingNetwork: false,
  });
  ringEntries(old);
  const opts = { isTestingNetwork: false };
  const fresh = NetworkView.fromDocuments(later.consensus, later.microdescs, opts);
  const reused = NetworkView.fromDocuments(later.consensus, later.microdescs, {
    ...opts,
    previous: old,
  });
  assert.notEqual(fresh.timeline.currentPeriod.number, old.timeline.currentPeriod.number);
  assert.deepEqual(ringEntries(reused), ringEntries(fresh));
});
