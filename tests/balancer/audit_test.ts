import assert from "node:assert/strict";
import {
  AUDIT_AFTER_PUBLISH_MS,
  type AuditReport,
  clientSlot,
  PublishAuditor,
} from "../../src/balancer/audit.ts";
import type { CopyState } from "../../src/balancer/audit_copy.ts";
import {
  type FrontendOptions,
  FrontendService,
  NO_METRICS,
  type Poster,
  type PublishedSlot,
} from "../../src/balancer/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import { buildHsDesc } from "../../src/netdoc/mod.ts";
import { type DescriptorSlot, FakeClock } from "../../src/time/mod.ts";
import { captureLog, deferred, FakePoster, FakeTor, until } from "./_fake_tor.ts";
import {
  acceptFirstDescriptor,
  expiryAfter,
  fixtureBackend,
  frontendKey,
  introPoint,
  networkView,
  VALID_AFTER,
} from "./_fixtures.ts";
import { type CopyAnswer, type CopyFetch, serveCopies } from "./_reach.ts";

const NOW = (VALID_AFTER + 300) * 1000;
const VIEW = networkView();
const INTERVAL = 900_000;
const OPTIONS: FrontendOptions = {
  perBackend: 2,
  distinct: true,
  republishIntervalMs: 3600_000,
  staleAfterMs: 3600_000,
};
const IDENTITY = frontendKey("audit");

interface Setup {
  service: FrontendService;
  auditor: PublishAuditor;
  poster: FakePoster;
  clock: FakeClock;
  log: ReturnType<typeof captureLog>;
  fetches: CopyFetch[];
  /** What an HSDir holds, when not what was uploaded there (the default). */
  copies: Map<string, CopyAnswer | Promise<CopyAnswer>>;
  /** The sink's `audit()` calls. */
  audits: { service: string; states: CopyState[]; reuploaded: number }[];
  /** Uploads wait for `gate.hold` while it is set. */
  gate: { hold?: Promise<void> };
  /** `onDone()` calls. */
  done: () => number;
}

async function setup(intervalMs = INTERVAL): Promise<Setup> {
  const backends = [0, 1].map((i) => fixtureBackend(`audit ${i}`));
  for (const b of backends) await acceptFirstDescriptor(b, VIEW, NOW);
  const poster = new FakePoster();
  const clock = new FakeClock(NOW);
  const log = captureLog();
  const tor = new FakeTor();
  const gate: Setup["gate"] = {};
  const copies: Setup["copies"] = new Map();
  const audits: Setup["audits"] = [];
  let done = 0;
  const post: Poster = async (descriptor, target) => {
    await gate.hold;
    return await poster.post(descriptor, target);
  };
  const service = new FrontendService(
    {
      address: onionAddressLabel(IDENTITY.public),
      keys: { kind: "key", keypair: IDENTITY },
      backends: backends.map((b) => b.backend),
      options: OPTIONS,
    },
    { post, rng: seededRng("audit test"), log: log.log, clock },
  );
  const fetches = serveCopies(tor, (hsDir) => copies.get(hsDir) ?? uploaded(service, hsDir));
  const auditor = new PublishAuditor({
    client: tor,
    clock,
    log: log.log,
    intervalMs: () => intervalMs,
    onDone: () => done++,
    rng: seededRng("audit jitter"),
    metrics: {
      ...NO_METRICS,
      audit: (service, list) =>
        audits.push({
          service,
          states: list.map((c) => c.state),
          reuploaded: list.filter((c) => c.reuploaded).length,
        }),
    },
  });
  return { service, auditor, poster, clock, log, fetches, copies, audits, gate, done: () => done };
}

/** The client slot's descriptor for `hsDir`, as uploaded there. */
function uploaded(service: FrontendService, hsDir: string): CopyAnswer {
  const [, slot] = clientSlot(service, VIEW)!;
  const upload = slot.uploads.find((u) => u.relay.fingerprint === hsDir);
  return upload === undefined ? { failed: "NOT_FOUND" } : slot.descriptors[upload.group]!;
}

function client(s: Setup): [DescriptorSlot, PublishedSlot] {
  const found = clientSlot(s.service, VIEW);
  assert.ok(found !== undefined, "the client slot was published");
  return found;
}

/** Publishes at `at` and lets the uploads end. */
async function publish(s: Setup, at = NOW): Promise<void> {
  s.clock.set(at);
  await s.service.maintain(VIEW, at);
  await s.poster.settle();
}

/** Starts what is due at `at` and waits for the audits started to end. */
async function audit(s: Setup, at: number): Promise<AuditReport | undefined> {
  s.clock.set(at);
  const before = s.fetches.length;
  const done = s.done();
  s.auditor.startDue(VIEW, at, [s.service]);
  // An audit sends its HSFETCH after subscribing to the events: a few turns later.
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  if (s.fetches.length === before) {
    assert.equal(s.done(), done, "an audit ended without asking the HSDirs");
    return undefined;
  }
  await until(() => s.done() > done, "the audit to end");
  await s.poster.settle();
  return s.auditor.report(s.service.address);
}

Deno.test("clientSlot() is the published slot of the period clients fetch now", async () => {
  const s = await setup();
  assert.equal(clientSlot(s.service, VIEW), undefined);
  await publish(s);
  const [name, slot] = client(s);
  assert.ok(slot.times.period.equals(VIEW.timeline.fetch().period));
  assert.equal(s.service.published.get(name), slot);
});

Deno.test("PublishAuditor audits nothing before the clients' slot was published", async () => {
  const s = await setup();
  assert.equal(s.auditor.nextDueAt(VIEW, [s.service]), undefined);
  assert.equal(await audit(s, NOW + 3600_000), undefined);
  await publish(s);
  // Only the other slot's descriptor (clients fetch it from the next period on).
  s.service.published.delete(client(s)[0]);
  assert.equal(s.auditor.nextDueAt(VIEW, [s.service]), undefined);
  assert.equal(await audit(s, NOW + 3600_000), undefined);
  assert.equal(s.auditor.nextDueAt(undefined, [s.service]), undefined);
  assert.equal(s.fetches.length, 0);
});

Deno.test("PublishAuditor audits 30 s after a publish whose uploads ended, asking each HSDir", async () => {
  const s = await setup();
  const release = deferred<void>();
  s.gate.hold = release.promise;
  await publish(s);
  assert.equal(s.auditor.nextDueAt(VIEW, [s.service]), undefined, "uploads still pending");
  assert.equal(await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS), undefined);
  release.resolve();
  s.gate.hold = undefined;
  await s.poster.settle();
  assert.equal(s.auditor.nextDueAt(VIEW, [s.service]), NOW + AUDIT_AFTER_PUBLISH_MS);
  assert.equal(await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS - 1), undefined);

  const report = await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS);
  const [name, slot] = client(s);
  assert.equal(s.fetches.length, 1);
  assert.equal(s.fetches[0]!.address, s.service.address);
  assert.deepEqual(s.fetches[0]!.servers, slot.uploads.map((u) => u.relay.fingerprint));
  assert.equal(slot.uploads.length, 8);
  assert.ok(report !== undefined);
  assert.equal(report.at, NOW + AUDIT_AFTER_PUBLISH_MS);
  assert.equal(report.slot, name);
  assert.ok(report.period.equals(slot.times.period));
  assert.equal(report.revision, slot.revisionCounter);
  assert.deepEqual(
    report.copies.map((c) => [c.hsDir, c.nickname, c.state, c.revision, c.reuploaded]),
    slot.uploads.map((u) => [
      u.relay.fingerprint,
      u.relay.nickname,
      "current",
      slot.revisionCounter,
      false,
    ]),
  );
  assert.deepEqual(s.audits, [{
    service: s.service.address,
    states: new Array(8).fill("current"),
    reuploaded: 0,
  }]);
  assert.match(
    s.log.text(),
    new RegExp(
      `\\[info\\] Audit of the ${name} descriptor of ${s.service.address}\\.onion ` +
        `\\(.*, revision ${slot.revisionCounter}\\) on 8 HSDirs: 8 current\n?`,
    ),
  );
  assert.doesNotMatch(s.log.text(), /\[warning\]/);
});

Deno.test("PublishAuditor audits again every interval, within ±10 %, and 30 s after a republish", async () => {
  const s = await setup();
  await publish(s);
  const first = NOW + AUDIT_AFTER_PUBLISH_MS;
  await audit(s, first);
  let due = s.auditor.nextDueAt(VIEW, [s.service])!;
  assert.ok(due >= first + 0.9 * INTERVAL && due <= first + 1.1 * INTERVAL, `due +${due - first}`);
  assert.equal(await audit(s, due - 1), undefined);
  const second = await audit(s, due);
  assert.equal(s.fetches.length, 2);
  assert.equal(second?.at, due);
  const after = due;
  due = s.auditor.nextDueAt(VIEW, [s.service])!;
  assert.ok(due >= after + 0.9 * INTERVAL && due <= after + 1.1 * INTERVAL, `due +${due - after}`);

  // A republish is audited 30 s after it, before the periodic audit.
  const republish = after + 60_000;
  for (const b of s.service.backends) b.accept(b.descriptor!, republish);
  s.service.requestRepublish("a test");
  await publish(s, republish);
  assert.equal(s.auditor.nextDueAt(VIEW, [s.service]), republish + AUDIT_AFTER_PUBLISH_MS);
  const third = await audit(s, republish + AUDIT_AFTER_PUBLISH_MS);
  assert.equal(third?.revision, client(s)[1].revisionCounter);
  assert.ok(third!.copies.every((c) => c.state === "current"));
});

Deno.test("PublishAuditor with an interval of 0 never audits", async () => {
  const s = await setup(0);
  await publish(s);
  assert.equal(s.auditor.nextDueAt(VIEW, [s.service]), undefined);
  assert.equal(await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS), undefined);
  assert.equal(await audit(s, NOW + 86_400_000), undefined);
  assert.equal(s.fetches.length, 0);
});

Deno.test("PublishAuditor uploads again to exactly the HSDirs whose copy is missing or stale", async () => {
  const s = await setup();
  await publish(s);
  const [, slot] = client(s);
  const [gone, old] = slot.uploads;
  s.copies.set(gone!.relay.fingerprint, { failed: "NOT_FOUND" });
  const older = await buildHsDesc({
    identity: IDENTITY,
    period: slot.times.period,
    revisionCounter: slot.revisionCounter - 1n,
    now: new Date(NOW),
    introPoints: [introPoint("audit older", expiryAfter(NOW / 1000))],
  }, { rng: seededRng("audit older") });
  s.copies.set(old!.relay.fingerprint, older.text);
  const posts = s.poster.posts.length;

  const report = (await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS))!;
  const again = s.poster.since(posts);
  assert.deepEqual(
    again.map((p) => p.hsDir).sort(),
    [gone, old].map((u) => u!.relay.fingerprint).sort(),
  );
  for (const upload of [gone!, old!]) {
    const post = again.find((p) => p.hsDir === upload.relay.fingerprint);
    assert.equal(post?.descriptor, slot.descriptors[upload.group], "the same descriptor again");
    assert.equal(upload.attempts, 2);
    assert.equal(upload.status, "uploaded");
  }
  const byDir = new Map(report.copies.map((c) => [c.hsDir, c]));
  assert.equal(byDir.get(gone!.relay.fingerprint)!.state, "missing");
  assert.equal(byDir.get(gone!.relay.fingerprint)!.reuploaded, true);
  assert.equal(byDir.get(old!.relay.fingerprint)!.state, "stale");
  assert.equal(byDir.get(old!.relay.fingerprint)!.revision, slot.revisionCounter - 1n);
  assert.equal(byDir.get(old!.relay.fingerprint)!.reuploaded, true);
  assert.equal(report.copies.filter((c) => c.state === "current" && !c.reuploaded).length, 6);
  assert.equal(s.audits[0]!.reuploaded, 2);
  assert.match(
    s.log.text(),
    /\[info\] Audit .*: 6 current, 1 missing, 1 stale; uploaded again to 2/,
  );
  assert.doesNotMatch(s.log.text(), /\[warning\]/);
});

Deno.test("PublishAuditor reports and never overwrites a foreign copy, warning once while it lasts", async () => {
  const s = await setup();
  await publish(s);
  const [, slot] = client(s);
  const hsDir = slot.uploads[3]!.relay.fingerprint;
  const theirs = await buildHsDesc({
    identity: IDENTITY,
    period: slot.times.period,
    revisionCounter: slot.revisionCounter + 1000n,
    now: new Date(NOW),
    introPoints: [introPoint("audit foreign", expiryAfter(NOW / 1000))],
  }, { rng: seededRng("audit foreign") });
  s.copies.set(hsDir, theirs.text);
  const posts = s.poster.posts.length;
  const warnings = () => s.log.records.filter((r) => r.level === "warning").length;

  const report = (await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS))!;
  const copy = report.copies.find((c) => c.hsDir === hsDir)!;
  assert.equal(copy.state, "foreign");
  assert.equal(copy.revision, slot.revisionCounter + 1000n);
  assert.equal(copy.reuploaded, false);
  assert.match(copy.detail!, /above ours .*; 0 of its 1 intro points are this service's backends'/);
  assert.equal(s.poster.posts.length, posts, "nothing uploaded over a foreign copy");
  assert.equal(warnings(), 1);
  assert.match(
    s.log.text(),
    new RegExp(
      `\\[warning\\] Audit .*: 7 current, 1 foreign; foreign: revision .* \\(\\$${hsDir}~`,
    ),
  );

  // The same foreign copy at the next audits: logged at info level, not warned again.
  await audit(s, s.auditor.nextDueAt(VIEW, [s.service])!);
  await audit(s, s.auditor.nextDueAt(VIEW, [s.service])!);
  assert.equal(warnings(), 1);
  assert.equal(s.poster.posts.length, posts);
  // It goes, then comes back: a new warning.
  s.copies.delete(hsDir);
  await audit(s, s.auditor.nextDueAt(VIEW, [s.service])!);
  s.copies.set(hsDir, theirs.text);
  await audit(s, s.auditor.nextDueAt(VIEW, [s.service])!);
  assert.equal(warnings(), 2);
  // An undecryptable copy is a problem too; a failed fetch is not.
  s.copies.set(slot.uploads[0]!.relay.fingerprint, { failed: "BAD_DESC" });
  s.copies.set(slot.uploads[1]!.relay.fingerprint, { failed: "QUERY_RATE_LIMITED" });
  const last = (await audit(s, s.auditor.nextDueAt(VIEW, [s.service])!))!;
  assert.deepEqual(last.copies.slice(0, 2).map((c) => [c.state, c.reuploaded]), [
    ["undecryptable", false],
    ["unanswered", false],
  ]);
  assert.equal(warnings(), 3);
  assert.equal(s.poster.posts.length, posts);
});

Deno.test("PublishAuditor forgets the report of a frontend no longer configured", async () => {
  const s = await setup();
  await publish(s);
  assert.ok(await audit(s, NOW + AUDIT_AFTER_PUBLISH_MS));
  s.auditor.startDue(VIEW, NOW + AUDIT_AFTER_PUBLISH_MS + 1, []);
  assert.equal(s.auditor.report(s.service.address), undefined);
});

Deno.test("PublishAuditor does not call a newer descriptor of its own foreign (republish during an audit)", async () => {
  const s = await setup();
  await publish(s);
  const [, old] = client(s);
  const answered = deferred<void>();
  for (const u of old.uploads) {
    // The HSDirs answer after a republish replaced the audited descriptor.
    s.copies.set(
      u.relay.fingerprint,
      answered.promise.then(() => uploaded(s.service, u.relay.fingerprint)),
    );
  }
  const at = NOW + AUDIT_AFTER_PUBLISH_MS;
  s.clock.set(at);
  const done = s.done();
  s.auditor.startDue(VIEW, at, [s.service]);
  for (const b of s.service.backends) b.accept(b.descriptor!, at);
  s.service.requestRepublish("a test");
  await publish(s, at);
  assert.ok(client(s)[1].revisionCounter > old.revisionCounter);
  answered.resolve();
  await until(() => s.done() > done, "the audit to end");
  // Dropped: no report, no warning, no upload; the newer descriptor gets an audit of its own.
  assert.equal(s.auditor.report(s.service.address), undefined);
  assert.doesNotMatch(s.log.text(), /\[warning\]/);
  assert.match(s.log.text(), /dropped: the (first|second) descriptor was republished meanwhile/);
  assert.equal(
    s.auditor.nextDueAt(VIEW, [s.service]),
    client(s)[1].builtAt + AUDIT_AFTER_PUBLISH_MS,
  );
});
