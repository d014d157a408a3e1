import assert from "node:assert/strict";
import {
  type FrontendOptions,
  FrontendService,
  type NetworkView,
  type Relay,
} from "../../src/balancer/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { blindPublicKey, type HsIdKeypair, onionAddressLabel } from "../../src/keys/mod.ts";
import { decodeHsDesc, type HsDesc } from "../../src/netdoc/mod.ts";
import { type DescriptorSlot, FakeClock } from "../../src/time/mod.ts";
import { captureLog, FakePoster, type Post } from "./_fake_tor.ts";
import {
  decodedBackendDescriptor,
  expiryAfter,
  type FixtureBackend,
  fixtureBackend,
  frontendKey,
  introLabels,
  introPoint,
  networkView,
  VALID_AFTER,
} from "./_fixtures.ts";

const NOW = (VALID_AFTER + 300) * 1000;
const SLOTS: readonly DescriptorSlot[] = ["first", "second"];
const OPTIONS: FrontendOptions = {
  perBackend: 2,
  distinct: true,
  republishIntervalMs: 3600_000,
  staleAfterMs: 3600_000,
};
const VIEW = networkView();

interface Setup {
  service: FrontendService;
  poster: FakePoster;
  clock: FakeClock;
  identity: HsIdKeypair;
  backends: FixtureBackend[];
  log: ReturnType<typeof captureLog>;
}

/** Intro-point labels of backend `name`, revision `rev`. */
function labels(name: string, rev: number, count = 3): string[] {
  return introLabels(`${name}@${rev}`, count);
}

/** Gives a backend a checked descriptor with `count` intro points, as if fetched at `at`. */
async function feed(b: FixtureBackend, rev: number, at: number, count = 3): Promise<HsDesc> {
  const desc = await decodedBackendDescriptor(b.identity, {
    period: VIEW.timeline.fetch().period,
    revisionCounter: BigInt(rev),
    now: new Date(at),
    introPoints: labels(b.address, rev, count).map((l) => introPoint(l, expiryAfter(at / 1000))),
  });
  b.backend.accept(desc, at);
  return desc;
}

async function setup(count: number, options: Partial<FrontendOptions> = {}): Promise<Setup> {
  const identity = frontendKey();
  const backends = Array.from({ length: count }, (_, i) => fixtureBackend(`frontend-test ${i}`));
  for (const b of backends) await feed(b, 1, NOW);
  const poster = new FakePoster();
  const clock = new FakeClock(NOW);
  const log = captureLog();
  const service = new FrontendService(
    {
      address: onionAddressLabel(identity.public),
      keys: { kind: "key", keypair: identity },
      backends: backends.map((b) => b.backend),
      options: { ...OPTIONS, ...options },
    },
    { post: poster.post, rng: seededRng("frontend test"), log: log.log, clock },
  );
  return { service, poster, clock, identity, backends, log };
}

/** Decodes a posted descriptor with the frontend's key; returns the slot it is for and the descriptor. */
async function decodePost(
  s: Setup,
  post: Post,
  view: NetworkView = VIEW,
): Promise<{ slot: DescriptorSlot; desc: HsDesc }> {
  const times = SLOTS.map((slot) => view.timeline.descriptor(slot));
  const desc = await decodeHsDesc(post.descriptor, {
    identity: s.identity.public,
    periods: times.map((t) => t.period),
    now: new Date(s.clock.now()),
  });
  const slot = times.find((t) => t.period.equals(desc.period))!.slot;
  return { slot, desc };
}

function responsible(
  s: Setup,
  slot: DescriptorSlot,
  purpose: "store" | "fetch",
  view = VIEW,
): Relay[] {
  const times = view.timeline.descriptor(slot);
  return view.responsible(blindPublicKey(s.identity.public, times.period), times, purpose);
}

const authKeys = (desc: HsDesc) => desc.inner.introPoints.map((p) => p.authKey.toString()).sort();
const fingerprints = (relays: readonly Relay[]) => relays.map((r) => r.fingerprint).sort();

Deno.test("FrontendService.maintain() first uploads both descriptors to every responsible HSDir", async () => {
  const s = await setup(3);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 16);
  const bySlot = new Map<DescriptorSlot, string[]>([["first", []], ["second", []]]);
  for (const post of s.poster.posts) {
    assert.equal(post.address, s.service.address);
    bySlot.get((await decodePost(s, post)).slot)!.push(post.hsDir);
  }
  for (const slot of SLOTS) {
    const expected = fingerprints(responsible(s, slot, "store"));
    assert.equal(expected.length, 8);
    assert.deepEqual(bySlot.get(slot)!.sort(), expected);
    const published = s.service.published.get(slot)!;
    assert.equal(published.reason, "first publish");
    assert.ok(published.uploads.every((u) => u.status === "uploaded" && u.attempts === 1));
    assert.equal(s.service.lastAttemptAt.get(slot), NOW);
  }
});

Deno.test("FrontendService.maintain() uploads nothing when nothing changed", async () => {
  const s = await setup(3);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const before = s.poster.posts.length;
  const published = SLOTS.map((slot) => s.service.published.get(slot));
  for (const later of [NOW, NOW + 60_000, NOW + 3599_000]) {
    await s.service.maintain(VIEW, later);
    await s.poster.settle();
  }
  assert.equal(s.poster.posts.length, before);
  assert.deepEqual(SLOTS.map((slot) => s.service.published.get(slot)), published);
});

Deno.test("FrontendService.maintain() republishes when the republish interval is reached", async () => {
  const s = await setup(3);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  // The backends keep being fetched, so they stay usable.
  for (const b of s.backends) b.backend.accept(b.backend.descriptor!, NOW + 3600_000);
  await s.service.maintain(VIEW, NOW + 3600_000);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 32);
  for (const slot of SLOTS) {
    assert.equal(s.service.published.get(slot)!.reason, "republish interval reached");
  }
});

Deno.test("FrontendService.maintain() retries a failed upload after its backoff, not before", async () => {
  const s = await setup(3);
  const failing = responsible(s, "first", "store")[0]!.fingerprint;
  s.poster.answer = (post) =>
    post.hsDir === failing
      ? { status: "failed", reason: "UPLOAD_REJECTED" }
      : { status: "uploaded" };
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const failed = SLOTS.flatMap((slot) => s.service.published.get(slot)!.uploads)
    .filter((u) => u.status === "failed");
  assert.ok(failed.length >= 1);
  assert.ok(failed.every((u) => u.relay.fingerprint === failing && u.reason === "UPLOAD_REJECTED"));
  const retryAt = Math.min(...failed.map((u) => u.nextRetryAt!));
  // retryDelayMs(1, r): 15 s less up to 25 % jitter, counted from the result (FakeClock time).
  assert.ok(retryAt >= NOW + 11_250 && retryAt <= NOW + 15_000, `retry at +${retryAt - NOW} ms`);
  assert.equal(s.service.nextDueAt(), retryAt);
  assert.match(s.log.text(), /failed \(UPLOAD_REJECTED\); retry #1 in \d+ s/);

  const before = s.poster.posts.length;
  await s.service.maintain(VIEW, NOW + 11_000);
  await s.service.maintain(VIEW, retryAt - 1);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, before, "retried before its backoff ran out");

  s.poster.answer = () => ({ status: "uploaded" });
  s.clock.set(retryAt);
  await s.service.maintain(VIEW, retryAt);
  await s.poster.settle();
  const retried = s.poster.since(before);
  assert.ok(retried.length >= 1 && retried.every((p) => p.hsDir === failing));
  const due = failed.filter((u) => u.nextRetryAt === undefined || u.nextRetryAt <= retryAt);
  assert.equal(retried.length, due.length);
  for (const upload of due) {
    assert.equal(upload.status, "uploaded");
    assert.equal(upload.attempts, 2);
    assert.equal(upload.lastResultAt, retryAt);
  }
  // The same descriptor went out again (no rebuild, no new revision).
  const first = s.service.published.get("first")!;
  assert.ok(retried.some((p) => first.descriptors.includes(p.descriptor)));
});

Deno.test("FrontendService.maintain() republishes when a backend's intro points change", async () => {
  const s = await setup(3);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const counters = SLOTS.map((slot) => s.service.published.get(slot)!.revisionCounter);
  await feed(s.backends[1]!, 2, NOW + 60_000);
  await s.service.maintain(VIEW, NOW + 60_000);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 32);
  for (const [i, slot] of SLOTS.entries()) {
    const published = s.service.published.get(slot)!;
    assert.equal(published.reason, "the intro points changed");
    assert.ok(published.revisionCounter > counters[i]!);
  }
  const last = await decodePost(s, s.poster.posts.at(-1)!);
  const expected = s.backends.flatMap((b) => b.backend.introPoints.slice(0, 2))
    .map((p) => p.authKey.toString()).sort();
  assert.deepEqual(authKeys(last.desc), expected);
});

Deno.test("FrontendService.maintain() republishes when the responsible HSDirs change", async () => {
  const s = await setup(3);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const bigger = networkView({ hsDirs: 90 }); // same SRVs and period, more relays
  for (const slot of SLOTS) {
    assert.notDeepEqual(
      fingerprints(responsible(s, slot, "store", bigger)),
      fingerprints(responsible(s, slot, "store")),
    );
  }
  await s.service.maintain(bigger, NOW + 60_000);
  await s.poster.settle();
  for (const slot of SLOTS) {
    assert.equal(s.service.published.get(slot)!.reason, "the responsible HSDirs changed");
  }
  const posted = s.poster.since(16).map((p) => p.hsDir).sort();
  assert.deepEqual(
    posted,
    [...responsible(s, "first", "store", bigger), ...responsible(s, "second", "store", bigger)]
      .map((r) => r.fingerprint).sort(),
  );
});

Deno.test("FrontendService.requestRepublish() forces one republish of both descriptors", async () => {
  const s = await setup(3);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  s.service.requestRepublish("tor restarted");
  await s.service.maintain(VIEW, NOW + 1000);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 32);
  for (const slot of SLOTS) assert.equal(s.service.published.get(slot)!.reason, "tor restarted");
  await s.service.maintain(VIEW, NOW + 2000);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 32, "the request is used up");
});

Deno.test("FrontendService revision counters strictly increase for one blinded key within a second", async () => {
  const s = await setup(2);
  const seen = new Map<DescriptorSlot, bigint[]>([["first", []], ["second", []]]);
  for (let i = 0; i < 3; i++) {
    s.service.requestRepublish(`again ${i}`);
    await s.service.maintain(VIEW, NOW + 400); // the same second every time
    await s.poster.settle();
    for (const slot of SLOTS) seen.get(slot)!.push(s.service.published.get(slot)!.revisionCounter);
  }
  for (const slot of SLOTS) {
    const [a, b, c] = seen.get(slot)!;
    assert.ok(a! < b! && b! < c!, `${slot}: ${seen.get(slot)}`);
  }
  // The counter in the text is the one recorded.
  const last = await decodePost(s, s.poster.posts.at(-1)!);
  assert.equal(last.desc.outer.revisionCounter, seen.get(last.slot)!.at(-1));
});

Deno.test("FrontendService posts descriptors that decode for its address with exactly the chosen intro points, re-certified", async () => {
  const s = await setup(4);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const backendPoints = s.backends.flatMap((b) => b.backend.introPoints.slice(0, 2));
  const expected = backendPoints.map((p) => p.authKey.toString()).sort();
  const signingKeys = new Set<string>();
  for (const post of s.poster.posts) {
    const { desc } = await decodePost(s, post);
    assert.deepEqual(authKeys(desc), expected);
    signingKeys.add(desc.outer.signingKey.toString());
    for (const point of desc.inner.introPoints) {
      const source = backendPoints.find((p) => p.authKey.equals(point.authKey))!;
      assert.ok(point.onionKey.equals(source.onionKey));
      assert.ok(point.encKey.equals(source.encKey));
      assert.ok(point.linkSpecifiers.equals(source.linkSpecifiers));
      assert.equal(point.authKeyCert.expirationHours, source.authKeyCert.expirationHours);
      // decodeHsDesc checked these certs against the frontend's signing key; the backend's
      // own descriptor used another one.
      const frontendSigner = desc.outer.signingKey.toIdentity();
      assert.ok(point.authKeyCert.signingKey.equals(frontendSigner));
      assert.ok(point.encKeyCert.signingKey.equals(frontendSigner));
      assert.ok(point.encKeyCert.certifiedKey.equals(source.encKeyCert.certifiedKey));
      assert.ok(!source.authKeyCert.signingKey.equals(frontendSigner));
    }
  }
  assert.equal(signingKeys.size, 2, "one signing key per slot's build");
});

/** Publishes 12 backends × 2 on `view` and checks the two groups and where each went. */
async function checkTwoGroups(view: NetworkView): Promise<void> {
  const s = await setup(12);
  await s.service.maintain(view, NOW);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 16);
  const all = s.backends.flatMap((b) => b.backend.introPoints.slice(0, 2))
    .map((p) => p.authKey.toString()).sort();
  for (const slot of SLOTS) {
    const published = s.service.published.get(slot)!;
    assert.equal(published.descriptors.length, 2);
    assert.deepEqual(published.introPointCounts, [12, 12]);
    const store = responsible(s, slot, "store", view);
    const fetch = new Set(responsible(s, slot, "fetch", view).map((r) => r.fingerprint));
    const groupOf = new Map<string, string>();
    const fetchPerGroup = new Map<string, number>();
    for (const post of s.poster.posts) {
      if (!published.descriptors.includes(post.descriptor)) continue;
      const { desc } = await decodePost(s, post, view);
      const key = authKeys(desc).join(" ");
      groupOf.set(post.hsDir, key);
      if (fetch.has(post.hsDir)) fetchPerGroup.set(key, (fetchPerGroup.get(key) ?? 0) + 1);
      // Each HSDir got the descriptor of the group its upload entry names.
      const upload = published.uploads.find((u) => u.relay.fingerprint === post.hsDir)!;
      assert.equal(post.descriptor, published.descriptors[upload.group]);
      assert.deepEqual(authKeys(desc), [...published.groups[upload.group]!].sort());
    }
    assert.deepEqual([...groupOf.keys()].sort(), fingerprints(store));
    const groups = [...new Set(groupOf.values())].map((k) => k.split(" "));
    assert.equal(groups.length, 2);
    assert.deepEqual(groups.flat().sort(), all, "the two groups split the intro points");
    assert.deepEqual([...fetchPerGroup.values()], [3, 3], "3 of the 6 fetch HSDirs per group");
    // Whole backends per group.
    for (const b of s.backends) {
      const ids = b.backend.introPoints.slice(0, 2).map((p) => p.authKey.toString());
      assert.ok(groups.some((g) => ids.every((id) => g.includes(id))));
    }
  }
}

Deno.test("FrontendService with 12 backends publishes 2 distinct descriptors, each fetch HSDir holding its group", async () => {
  await checkTwoGroups(VIEW);
});

Deno.test("FrontendService balances the groups over the HSDirs clients really fetch from when replicas overlap", async () => {
  // On 9 HSDirs the two replicas overlap, and tor's fetch set is not "the first 3 of each
  // replica's 4 store HSDirs" for this frontend key.
  const small = networkView({ hsDirs: 9, seed: "small ring 1" });
  const s = await setup(0);
  const irregular = SLOTS.filter((slot) => {
    const fetch = new Set(responsible(s, slot, "fetch", small));
    return responsible(s, slot, "store", small).some((r, i) => fetch.has(r) !== (i % 4 < 3));
  });
  assert.ok(irregular.length > 0, "the fixture no longer exercises overlapping replicas");
  await checkTwoGroups(small);
});

Deno.test("FrontendService.maintain() publishes nothing without a usable backend", async () => {
  const s = await setup(0);
  s.service.backends = [fixtureBackend("never fetched").backend];
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  assert.equal(s.poster.posts.length, 0);
  assert.equal(s.service.published.size, 0);
  assert.deepEqual(
    [...s.service.usableBackends(NOW).skipped.values()],
    ["no descriptor yet"],
  );
});

Deno.test("FrontendService keeps one signing key per time period across republishes, as tor does", async () => {
  const s = await setup(4);
  await s.service.maintain(VIEW, NOW);
  await s.poster.settle();
  const keysOf = async (posts: typeof s.poster.posts) => {
    const out = new Map<string, Set<string>>();
    for (const post of posts) {
      const { desc, slot } = await decodePost(s, post); // every cert checked under that key
      if (!out.has(slot)) out.set(slot, new Set());
      out.get(slot)!.add(desc.outer.signingKey.toString());
    }
    return out;
  };
  const before = await keysOf(s.poster.posts);
  const seen = s.poster.posts.length;
  s.service.requestRepublish("again");
  await s.service.maintain(VIEW, NOW + 60_000);
  await s.poster.settle();
  assert.ok(s.poster.posts.length > seen);
  const after = await keysOf(s.poster.posts.slice(seen));
  for (const slot of SLOTS) {
    assert.equal(before.get(slot)?.size, 1);
    assert.deepEqual(after.get(slot), before.get(slot), `${slot}: the same signing key`);
  }
  assert.notDeepEqual(before.get("first"), before.get("second"), "another period, another key");
});
