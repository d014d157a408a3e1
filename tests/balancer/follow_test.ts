/**
 * The daemon follows the backends' intro points on tor's timeline: every
 * backend is re-fetched right after a time-period change (until its descriptor
 * for the new period is in) and again shortly before the services rotate their
 * descriptors; a backend whose intro points changed recently is fetched every
 * busy-fetch-interval; the status says how old the published intro points are
 * and whether the backend still lists them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { statusReport } from "../../src/balancer/mod.ts";
import { DEFAULT_HEALTH_CHECK } from "../../src/config/mod.ts";
import type { TimePeriod } from "../../src/time/mod.ts";
import { type FetchAnswer, until } from "./_fake_tor.ts";
import { type FixtureBackend, networkDocuments, networkView, VALID_AFTER } from "./_fixtures.ts";
import { answer, daemon, failingSocks, fetchesDone, NOW, TIMINGS } from "./_daemon.ts";

const HOUR = 3600_000;
const VIEW = networkView();
/** The next time period and when it starts (12:00 UTC: the fixture consensus is 13:00). */
const NEXT: TimePeriod = VIEW.timeline.currentPeriod.next();
const NEXT_START = NEXT.start();
/** The services rotate at the next shared-random run, 12 h after the period starts. */
const ROTATION = (NEXT_START + 12 * 3600) * 1000;

/** Backend `b`'s descriptor for `period`, with intro points of its own. */
function answerFor(b: FixtureBackend, period: TimePeriod, rev: number): Promise<FetchAnswer> {
  return answer(b, rev, { period, nowMs: NEXT_START * 1000 });
}

Deno.test("the daemon re-fetches every backend right after a time-period change, until each new descriptor is in, and again before the rotation", async () => {
  assert.equal(NEXT_START - VALID_AFTER, 23 * 3600, "fixture: the period starts 23 h later");
  const d = daemon(2);
  // Routine fetches far apart, so that every fetch below is one the timeline asked for.
  d.balancer.timings = { ...TIMINGS, fetchIntervalMs: 13 * HOUR, busyFetchIntervalMs: 13 * HOUR };
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  await d.at(NOW);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [1, 1]);

  // tor's consensus crosses into the next period; the daemon reads it (here: its view aged).
  const next = networkDocuments({ validAfter: NEXT_START });
  d.tor.consensus = next.consensus;
  const t1 = NEXT_START * 1000 + 10_000;
  await d.at(t1);
  await fetchesDone(d);
  assert.equal(d.balancer.view!.timeline.currentPeriod.number, NEXT.number);
  assert.match(
    d.log.text(),
    new RegExp(`Re-fetching every backend's descriptor: time period ${NEXT.number} began`),
  );
  assert.deepEqual([d.fetches(0), d.fetches(1)], [2, 2], "both fetched at once");

  // Backend 0's descriptor for the new period is not on the HSDirs yet (tor still finds the
  // old one or none): it is asked again within 10 s; backend 1 answers with the new one.
  d.tor.onFetch = (address) => {
    const b = d.backends.find((x) => x.address === address)!;
    return b === d.backends[0] ? { failed: "NOT_FOUND" } : answerFor(b, NEXT, 5);
  };
  await d.at(t1 + 10_000);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [3, 3]);
  assert.equal(d.backends[1]!.backend.descriptor?.period.number, NEXT.number);
  d.tor.onFetch = (address) => answerFor(d.backends.find((x) => x.address === address)!, NEXT, 5);
  await d.at(t1 + 20_000);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [4, 3], "only the one still missing");
  assert.equal(d.backends[0]!.backend.descriptor?.period.number, NEXT.number);
  await d.at(t1 + 60_000);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [4, 3], "nothing more until the rotation");

  // One minute before the services rotate (the next shared-random run): every backend again.
  await d.at(ROTATION - 61_000);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [4, 3]);
  await d.at(ROTATION - 60_000);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [5, 4]);
  assert.match(d.log.text(), /Re-fetching every backend's descriptor: the services rotate/);
});

Deno.test("a backend is fetched every busy-fetch-interval until its intro points stayed the same for an hour, then every fetch-interval", async () => {
  const d = daemon(2);
  const revs = [1, 1];
  d.tor.onFetch = (address) => {
    const i = d.backends.findIndex((b) => b.address === address);
    return answer(d.backends[i]!, revs[i]!);
  };
  const busy = 30_000;
  d.balancer.timings = { ...TIMINGS, busyFetchIntervalMs: busy };
  await d.at(NOW);
  await fetchesDone(d);
  // New backends have not shown yet that they are quiet: both every 30 s.
  await d.at(NOW + busy);
  await fetchesDone(d);
  assert.deepEqual([d.fetches(0), d.fetches(1)], [2, 2]);
  // Backend 0 retires its intro points (a new revision with new ones) after 30 minutes.
  let t = NOW + busy;
  while (t < NOW + HOUR / 2) {
    t += busy;
    await d.at(t);
    await fetchesDone(d);
  }
  revs[0] = 2;
  const changedAt = t + busy;
  t = changedAt;
  await d.at(t);
  await fetchesDone(d);
  assert.ok(d.backends[0]!.backend.introSetReplacedAt === changedAt);
  assert.equal(d.backends[1]!.backend.introSetReplacedAt, undefined);
  // An hour after its first descriptor, backend 1 is quiet: fetch-interval; backend 0 is not.
  while (t < NOW + HOUR + busy) {
    t += busy;
    await d.at(t);
    await fetchesDone(d);
  }
  const [zero, one] = [d.fetches(0), d.fetches(1)];
  t += busy * 2;
  await d.at(t);
  await fetchesDone(d);
  assert.equal(d.fetches(1), one, "the quiet one waits for fetch-interval");
  assert.equal(d.fetches(0), zero + 1, "the one that changed 30 minutes ago: still every 30 s");
  // An hour after its change, backend 0 is quiet too.
  while (t < changedAt + HOUR + busy) {
    t += busy;
    await d.at(t);
    await fetchesDone(d);
  }
  const zeroQuiet = d.fetches(0);
  await d.at(t + busy * 2);
  await fetchesDone(d);
  assert.equal(d.fetches(0), zeroQuiet, "quiet for an hour: fetch-interval again");
});

Deno.test("status shows per backend the age of its published intro points and how many it still lists", async () => {
  const d = daemon(2);
  const revs = [1, 1];
  d.tor.onFetch = (address) => {
    const i = d.backends.findIndex((b) => b.address === address);
    return answer(d.backends[i]!, revs[i]!);
  };
  await d.at(NOW);
  await fetchesDone(d);
  await d.at(NOW + 30_000);
  await d.poster.settle();
  const published = (report: unknown, i: number) =>
    // deno-lint-ignore no-explicit-any
    (report as any).services[0].instances[i].published;
  let report = statusReport(d.balancer, NOW + 90_000);
  assert.deepEqual(published(report, 0), {
    introPoints: 2,
    oldestSeen: published(report, 0).oldestSeen,
    ageSeconds: 90,
    inNewestDescriptor: 2,
  });
  // Backend 0 replaces its intro points; until the republish, the two published are closed.
  revs[0] = 2;
  await d.at(NOW + TIMINGS.fetchIntervalMs);
  await fetchesDone(d);
  report = statusReport(d.balancer, NOW + TIMINGS.fetchIntervalMs);
  assert.equal(published(report, 0).inNewestDescriptor, 0);
  assert.equal(published(report, 1).inNewestDescriptor, 2);
  await d.at(NOW + TIMINGS.fetchIntervalMs + 1);
  await d.poster.settle();
  report = statusReport(d.balancer, NOW + TIMINGS.fetchIntervalMs + 1);
  assert.equal(published(report, 0).inNewestDescriptor, 2);
  assert.equal(published(report, 0).ageSeconds, 0);
});

Deno.test("a failed health check fetches the backend's descriptor again, at most every 10 s", async () => {
  const socks = failingSocks();
  try {
    const d = daemon(1);
    d.balancer.health.reconfigure({
      ...DEFAULT_HEALTH_CHECK,
      enabled: true,
      socks: `127.0.0.1:${socks.port}`,
      failures: 100, // never left out during the case: that would re-fetch anyway
    });
    d.tor.onFetch = () => answer(d.backends[0]!, 1);
    const backend = d.backends[0]!.backend;
    await d.at(NOW);
    await fetchesDone(d);
    await until(() => d.balancer.health.failures(backend) === 1, "the first check to fail");
    assert.equal(d.fetches(0), 1, "the check failed right after the fetch: no second fetch");
    // Later checks (every few seconds while confirming) fail too: the first one 10 s or more
    // after the fetch fetches again, long before fetch-interval.
    let t = NOW;
    while (d.fetches(0) === 1 && t < NOW + 60_000) {
      t += 1_000;
      await d.at(t);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await fetchesDone(d);
    assert.equal(d.fetches(0), 2, "fetched again after a failed check");
    assert.ok(t - NOW >= 10_000 && t - NOW < 15_000, `after ${t - NOW} ms`);
    assert.ok(d.balancer.health.failures(backend) >= 2);
  } finally {
    socks.close();
  }
});
