/**
 * A frontend publishing from an offline key bundle: the periods the bundle covers are
 * published with its signing keys and certs and OnionBalance's revision counters of the key,
 * a period it does not cover is not (said once in the log, recorded for the status), the
 * warning comes ahead of the end, and a renewed bundle loaded on reload publishes at once.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type FrontendKeys,
  type FrontendOptions,
  FrontendService,
} from "../../src/balancer/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { makeOfflineBundle, type OfflineKeyBundle } from "../../src/custody/mod.ts";
import { decodeHsDesc } from "../../src/netdoc/mod.ts";
import { FakeClock, type TimePeriod } from "../../src/time/mod.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import { captureLog, FakePoster } from "./_fake_tor.ts";
import {
  acceptFirstDescriptor,
  fixtureBackend,
  frontendKey,
  networkView,
  VALID_AFTER,
} from "./_fixtures.ts";

const NOW = (VALID_AFTER + 300) * 1000;
const VIEW = networkView();
const FIRST = VIEW.timeline.descriptor("first").period;
const SECOND = VIEW.timeline.descriptor("second").period;
const OPTIONS: FrontendOptions = {
  perBackend: 2,
  distinct: true,
  republishIntervalMs: 3600_000,
  staleAfterMs: 3600_000,
};
const identity = frontendKey("offline");

function bundleFrom(period: TimePeriod, periods: number, seed: string): OfflineKeyBundle {
  return makeOfflineBundle(identity, {
    from: period.start() + period.lengthMinutes * 30, // its middle: the first slot is `period`
    periods,
    schedule: {
      lengthMinutes: period.lengthMinutes,
      rotationOffsetSeconds: period.rotationOffsetSeconds,
    },
    now: NOW / 1000,
    rng: seededRng(seed),
  });
}

async function setup(keys: FrontendKeys, options: Partial<FrontendOptions> = {}) {
  const backends = [0, 1].map((i) => fixtureBackend(`offline ${i}`));
  for (const b of backends) await acceptFirstDescriptor(b, VIEW, NOW);
  const poster = new FakePoster();
  const log = captureLog();
  const service = new FrontendService({
    address: onionAddressLabel(identity.public),
    keys,
    backends: backends.map((b) => b.backend),
    options: { ...OPTIONS, ...options },
  }, {
    post: poster.post,
    rng: seededRng("offline frontend"),
    log: log.log,
    clock: new FakeClock(NOW),
  });
  return { service, poster, log };
}

async function periodsPosted(poster: FakePoster): Promise<number[]> {
  const numbers = [];
  for (const post of poster.posts) {
    const desc = await decodeHsDesc(post.descriptor, {
      identity: identity.public,
      periods: [FIRST, SECOND],
      now: new Date(NOW),
    });
    numbers.push(desc.period.number);
  }
  return numbers;
}

Deno.test("a bundle covering only the first slot's period: that one is published, the next is not, and says why once", async () => {
  const bundle = bundleFrom(FIRST, 1, "one period");
  const s = await setup({ kind: "offline", bundle, path: "/etc/onionbalance/f.keys" });
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const posted = await periodsPosted(s.poster);
  assert.ok(posted.length > 0);
  assert.deepEqual([...new Set(posted)], [FIRST.number]);
  assert.ok(s.service.published.has("first"));
  assert.ok(!s.service.published.has("second"));
  assert.equal(s.service.unpublishable.get("first"), undefined);
  const why = s.service.unpublishable.get("second");
  assert.ok(why !== undefined);
  assert.ok(why.period.equals(SECOND));
  assert.match(why.reason, /offline key bundle covers periods \d+-\d+ only/);
  const errors = () => s.log.records.filter((r) => r.level === "error");
  assert.equal(errors().length, 1);
  assert.match(
    errors()[0]!.message,
    /Cannot publish the second descriptor .*\(onionbalance keys offline\) and reload/,
  );
  // Said once per period, not at every check.
  await s.service.maintain(VIEW, NOW + 60_000);
  assert.equal(errors().length, 1);
  // Every published descriptor is signed by the bundle's signing key for its period.
  const signer = bundle.signerFor(FIRST, new Date(NOW));
  assert.ok(signer.ok);
  for (const post of s.poster.posts) {
    const desc = await decodeHsDesc(post.descriptor, {
      identity: identity.public,
      periods: [FIRST],
      now: new Date(NOW),
    });
    assert.ok(desc.outer.signingKey.equals(signer.signingKey.public));
  }
});

Deno.test("offline and online managers of one key write the same revision counters", async () => {
  const offline = await setup({
    kind: "offline",
    bundle: bundleFrom(FIRST, 2, "two"),
    path: "f.keys",
  });
  const online = await setup({ kind: "key", keypair: identity });
  await offline.service.maintain(VIEW, NOW);
  await online.service.maintain(VIEW, NOW);
  for (const slot of ["first", "second"] as const) {
    assert.equal(
      offline.service.published.get(slot)!.revisionCounter,
      online.service.published.get(slot)!.revisionCounter,
    );
  }
});

Deno.test("a bundle that runs out within the warning time is warned about ahead, and repeated 6-hourly", async () => {
  const bundle = bundleFrom(FIRST, 2, "warn");
  const leftMs = bundle.endsAt * 1000 - NOW;
  const s = await setup(
    { kind: "offline", bundle, path: "f.keys" },
    { keysWarningMs: leftMs + 60_000 },
  );
  const status = s.service.keysStatus(NOW)!;
  assert.equal(status.runningOut, true);
  assert.equal(status.leftMs, leftMs);
  assert.equal(status.lastPeriod, SECOND.number);
  await s.service.maintain(VIEW, NOW);
  const warnings = () =>
    s.log.records.filter((r) => /offline key bundle .* runs out in/.test(r.message));
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!.message, /\(f\.keys\) runs out in .*: its last period is \d+/);
  await s.service.maintain(VIEW, NOW + 3_600_000);
  assert.equal(warnings().length, 1);
  await s.service.maintain(VIEW, NOW + 6 * 3_600_000);
  assert.equal(warnings().length, 2);
  // Not running out: no warning.
  const calm = await setup({ kind: "offline", bundle, path: "f.keys" }, { keysWarningMs: 1000 });
  assert.equal(calm.service.keysStatus(NOW)!.runningOut, false);
  await calm.service.maintain(VIEW, NOW);
  assert.equal(calm.log.records.filter((r) => /runs out/.test(r.message)).length, 0);
});

Deno.test("a renewed bundle given on reload publishes the period that was missing at once", async () => {
  const s = await setup({ kind: "offline", bundle: bundleFrom(FIRST, 1, "old"), path: "f.keys" });
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  assert.ok(s.service.unpublishable.has("second"));
  s.service.keys = { kind: "offline", bundle: bundleFrom(FIRST, 3, "new"), path: "f.keys" };
  const before = s.poster.posts.length;
  await s.service.maintain(VIEW, NOW + 1000);
  await s.poster.settle();
  assert.equal(s.service.unpublishable.size, 0);
  const posted = await periodsPosted({ posts: s.poster.posts.slice(before) } as FakePoster);
  assert.deepEqual([...new Set(posted)].sort(), [FIRST.number, SECOND.number]);
  assert.equal(s.service.published.get("first")!.reason, "the offline key bundle changed");
  // Another identity's keys are refused.
  assert.throws(() => {
    s.service.keys = { kind: "key", keypair: frontendKey("someone else") };
  }, /another key/);
});
