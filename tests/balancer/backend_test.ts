import assert from "node:assert/strict";
import { Backend, introPointId, REVISION_ADVANCE_LIMIT_MS } from "../../src/balancer/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { decodeHsDesc, type HsDesc } from "../../src/netdoc/mod.ts";
import {
  backendDescriptor,
  decodedBackendDescriptor,
  expiryAfter,
  fixtureBackend,
  introLabels,
  introPoint,
  VALID_AFTER,
} from "./_fixtures.ts";

const NOW = VALID_AFTER * 1000;
const PERIOD = TimePeriod.containing(VALID_AFTER);
const STALE = { staleAfterMs: 3600_000 };
const { identity, address } = fixtureBackend("accept");
const expiry = expiryAfter(VALID_AFTER);
const setA = introLabels("a", 3).map((l) => introPoint(l, expiry));
const setB = introLabels("b", 3).map((l) => introPoint(l, expiry));

function descriptor(revisionCounter: bigint, points = setA, period = PERIOD): Promise<HsDesc> {
  return decodedBackendDescriptor(identity, {
    period,
    revisionCounter,
    now: new Date(NOW),
    introPoints: points,
  });
}

const [rev10, rev20, rev30b, rev15, next5, empty40] = await Promise.all([
  descriptor(10n),
  descriptor(20n),
  descriptor(30n, setB),
  descriptor(15n, setB),
  descriptor(5n, setA, PERIOD.next()),
  descriptor(40n, []),
]);

function fresh(): Backend {
  return fixtureBackend("accept").backend;
}

Deno.test("Backend.accept() takes the first descriptor as new and records when", () => {
  const b = fresh();
  assert.equal(b.address, address);
  assert.equal(b.accept(rev10, NOW), "new");
  assert.equal(b.descriptor, rev10);
  assert.equal(b.introPoints.length, 3);
  assert.equal(b.lastFetchOkAt, NOW);
  assert.equal(b.descriptorReceivedAt, NOW);
  assert.equal(b.introSetModifiedAt, NOW);
  assert.equal(b.revisionAdvancedAt, NOW);
});

Deno.test("Backend.accept() answers same for the revision already held, refreshing only the fetch time", () => {
  const b = fresh();
  b.accept(rev10, NOW);
  assert.equal(b.accept(rev10, NOW + 1000), "same");
  assert.equal(b.lastFetchOkAt, NOW + 1000);
  assert.equal(b.descriptorReceivedAt, NOW);
  assert.equal(b.revisionAdvancedAt, NOW);
  assert.equal(b.introSetModifiedAt, NOW);
});

Deno.test("Backend.accept() answers updated for a higher revision with the same intro points", () => {
  const b = fresh();
  b.accept(rev10, NOW);
  assert.equal(b.accept(rev20, NOW + 1000), "updated");
  assert.equal(b.descriptor, rev20);
  assert.equal(b.revisionAdvancedAt, NOW + 1000);
  assert.equal(b.descriptorReceivedAt, NOW + 1000);
  assert.equal(b.introSetModifiedAt, NOW, "the intro set did not change");
});

Deno.test("Backend.accept() answers new for a higher revision with other intro points", () => {
  const b = fresh();
  b.accept(rev10, NOW);
  assert.equal(b.accept(rev30b, NOW + 2000), "new");
  assert.equal(b.introSetModifiedAt, NOW + 2000);
  assert.deepEqual(b.introPoints.map(introPointId), rev30b.inner.introPoints.map(introPointId));
});

Deno.test("Backend.accept() refuses a lower revision counter (rollback) and keeps its descriptor", () => {
  const b = fresh();
  b.accept(rev20, NOW);
  assert.equal(b.accept(rev15, NOW + 5000), "rollback");
  assert.equal(b.descriptor, rev20);
  assert.equal(b.lastFetchOkAt, NOW, "a rollback is not a successful fetch");
  assert.equal(b.introSetModifiedAt, NOW);
  // Still refused after a newer one was taken and after time passed.
  assert.equal(b.accept(rev30b, NOW + 6000), "new");
  assert.equal(b.accept(rev20, NOW + 7000), "rollback");
  assert.equal(b.descriptor, rev30b);
});

Deno.test("Backend.accept() compares revision counters per blinded key (a new time period starts low)", () => {
  const b = fresh();
  b.accept(rev20, NOW);
  assert.equal(b.accept(next5, NOW + 1000), "updated");
  assert.equal(b.descriptor, next5);
  assert.equal(b.accept(rev15, NOW + 2000), "rollback", "period N still remembers 20");
});

Deno.test("Backend.fetchFailed() counts failures until a descriptor arrives", () => {
  const b = fresh();
  b.fetchFailed("HSDir $AA: NOT_FOUND");
  b.fetchFailed("HSDir $BB: TIMEOUT");
  assert.equal(b.fetchFailures, 2);
  assert.equal(b.lastFetchError, "HSDir $BB: TIMEOUT");
  b.accept(rev10, NOW);
  assert.equal(b.fetchFailures, 0);
  assert.equal(b.lastFetchError, undefined);
});

Deno.test("Backend.unusableReason() says there is no descriptor yet", () => {
  assert.equal(fresh().unusableReason(NOW, STALE), "no descriptor yet");
});

Deno.test("Backend.unusableReason() is undefined for a freshly fetched descriptor", () => {
  const b = fresh();
  b.accept(rev10, NOW);
  assert.equal(b.unusableReason(NOW, STALE), undefined);
  assert.equal(b.unusableReason(NOW + 3600_000, STALE), undefined, "exactly the limit is fine");
});

Deno.test("Backend.unusableReason() rejects a descriptor without intro points", () => {
  const b = fresh();
  assert.equal(b.accept(empty40, NOW), "new");
  assert.equal(b.unusableReason(NOW, STALE), "its descriptor has no usable intro points");
});

Deno.test("Backend.unusableReason() rejects a backend not fetched for longer than instance-stale-after", () => {
  const b = fresh();
  b.accept(rev10, NOW);
  b.fetchFailed("HSDir $AA: NOT_FOUND");
  assert.equal(b.unusableReason(NOW + 3601_000, STALE), "no descriptor fetched for 3601 s");
});

Deno.test("Backend.unusableReason() rejects a backend whose revision counter has not advanced for 3 hours", () => {
  const b = fresh();
  b.accept(rev10, NOW);
  // Fetched every 20 minutes, always the same revision: the backend's tor stopped publishing.
  let at = NOW;
  while (at < NOW + REVISION_ADVANCE_LIMIT_MS) {
    at += 20 * 60_000;
    assert.equal(b.accept(rev10, at), "same");
  }
  assert.equal(b.unusableReason(NOW + REVISION_ADVANCE_LIMIT_MS, STALE), undefined);
  assert.equal(
    b.unusableReason(NOW + REVISION_ADVANCE_LIMIT_MS + 1, STALE),
    "its revision counter has not advanced for 3 hours (the backend stopped publishing)",
  );
  // A new revision makes it usable again.
  b.accept(rev20, at);
  assert.equal(b.unusableReason(at, STALE), undefined);
});

Deno.test("Backend.accept() switches back to a period's descriptor it saw before (not same)", () => {
  const b = fresh();
  assert.equal(b.accept(rev10, NOW), "new");
  assert.equal(b.accept(next5, NOW + 1000), "updated");
  // The first period's descriptor again, same counter: it is held again, not ignored.
  assert.notEqual(b.accept(rev10, NOW + 2000), "same");
  assert.ok(b.descriptor!.blindedKey.equals(rev10.blindedKey));
});

Deno.test("Backend.heldDescriptorFor() gives the held descriptor back only for the same text, period and unexpired certs", async () => {
  const text = await backendDescriptor(identity, {
    period: PERIOD,
    revisionCounter: 50n,
    now: new Date(NOW),
    introPoints: setA,
  });
  const decoded = await decodeHsDesc(text, {
    identity: identity.public,
    periods: [PERIOD],
    now: new Date(NOW),
  });
  const b = fresh();
  const periods = [PERIOD, PERIOD.previous(), PERIOD.next()];
  assert.equal(b.heldDescriptorFor(text, new Date(NOW), periods), undefined); // nothing held
  assert.equal(b.accept(decoded, NOW, text), "new");
  assert.equal(b.heldDescriptorFor(text, new Date(NOW + 60_000), periods), decoded);
  assert.equal(b.heldDescriptorFor(`${text} `, new Date(NOW), periods), undefined);
  assert.equal(b.heldDescriptorFor(text, new Date(NOW), [PERIOD.next()]), undefined);
  // The intro-point certs expire at `expiry` hours; one second later the text must be decoded
  // again (and would fail).
  const expired = new Date(expiry * 3600 * 1000 + 1000);
  assert.equal(b.heldDescriptorFor(text, expired, periods), undefined);
  // Accepted without its text (as before): never reused.
  const c = fresh();
  c.accept(decoded, NOW);
  assert.equal(c.heldDescriptorFor(text, new Date(NOW), periods), undefined);
});
