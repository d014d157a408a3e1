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
