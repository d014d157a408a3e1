/**
 * The daemon's own loop, `Balancer.run()`, driven by a fake clock from start
 * to stop: nothing in it sleeps on the real clock. The clock moves to each
 * wake-up the loop asked for (or jumps, as a suspended machine does), and the
 * test waits, in event-loop turns, until the loop sleeps again with every
 * fetch, check and upload ended.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type HealthResult, introPointId, type Probe } from "../../src/balancer/mod.ts";
import type { TimePeriod } from "../../src/time/mod.ts";
import { until } from "./_fake_tor.ts";
import { networkDocuments, networkView } from "./_fixtures.ts";
import { answer, type Daemon, daemon, NOW, TIMINGS } from "./_daemon.ts";

const NEXT: TimePeriod = networkView().timeline.currentPeriod.next();
const HEALTH = {
  enabled: true,
  socks: "127.0.0.1:9", // never dialled: the probe below answers
  intervalSeconds: 30,
  timeoutSeconds: 15,
  failures: 3,
};
const PASS: HealthResult = { ok: true, durationMs: 40 };
const FAIL: HealthResult = { ok: false, error: "introduction failed", durationMs: 40 };

/** The loop sleeps on the clock, and every fetch, check and upload it started has ended. */
async function quiet(d: Daemon, checks: { pending: number }): Promise<void> {
  const settled = () =>
    d.clock.nextWakeAt() !== undefined && d.results() === d.tor.fetched.length &&
    checks.pending === 0;
  for (let stable = 0; stable < 3;) {
    await until(settled, "the loop to go back to sleep");
    await d.poster.settle();
    stable = settled() ? stable + 1 : 0;
  }
}

/** Moves the clock to `at` through every wake-up the loop asks for on the way; counts them. */
async function runTo(d: Daemon, checks: { pending: number }, at: number): Promise<number> {
  await quiet(d, checks);
  let wakes = 0;
  for (let wake = d.clock.nextWakeAt(); wake !== undefined && wake <= at; wakes++) {
    d.clock.set(Math.max(wake, d.clock.now()));
    await quiet(d, checks);
    wake = d.clock.nextWakeAt();
  }
  d.clock.set(at);
  await quiet(d, checks);
  return wakes;
}

/** The backends whose intro points the last published first descriptor lists. */
function publishedBackends(d: Daemon): string[] {
  const slot = d.service.published.get("first")!;
  return [...new Set([...slot.sources.values()].map((s) => s.backend))].sort();
}

Deno.test("Balancer.run() on a fake clock: start, fetch, a backend failing its checks and returning, a period rotation, a reload", async () => {
  const dead = new Set<string>();
  const checks = { pending: 0, made: [] as { address: string; at: number }[] };
  const probe: Probe = async (target, clock) => {
    checks.pending++;
    checks.made.push({ address: target.address, at: clock.now() });
    await Promise.resolve();
    checks.pending--;
    return dead.has(target.address) ? FAIL : PASS;
  };
  const d = daemon(2, undefined, { health: HEALTH, probe });
  const b0 = d.backends[0]!.backend;
  const b1 = d.backends[1]!.backend;
  const revs = new Map(d.backends.map((b) => [b.address, 1]));
  let period: TimePeriod | undefined; // undefined: the fixture network's period
  d.tor.onFetch = (address) => {
    const b = d.backends.find((x) => x.address === address)!;
    const at = period === undefined ? undefined : { period, nowMs: NEXT.start() * 1000 };
    return answer(b, revs.get(address)!, at);
  };
  const stop = new AbortController();
  const running = d.balancer.run(stop.signal);
  try {
    // Start: the view is read, both backends fetched and checked, both published.
    await quiet(d, checks);
    assert.equal(d.tor.fetched.length, 2);
    assert.deepEqual(publishedBackends(d), [b0.address, b1.address].sort());
    assert.equal(d.service.published.get("first")!.reason, "first publish");
    assert.equal(checks.made.length, 2);

    // Backend 1 dies: left out within two intervals, and the descriptors are republished.
    const diedAt = NOW + 5_000;
    await runTo(d, checks, diedAt);
    dead.add(b1.address);
    const postsBefore = d.poster.posts.length;
    await runTo(d, checks, diedAt + 2 * HEALTH.intervalSeconds * 1000);
    assert.equal(d.balancer.health.state(b1).kind, "left out");
    assert.deepEqual(publishedBackends(d), [b0.address]);
    assert.equal(d.service.published.get("first")!.reason, "the intro points changed");
    assert.ok(d.poster.posts.length > postsBefore);
    const confirming = checks.made.filter((c) => c.address === b1.address && c.at > diedAt);
    assert.ok(confirming.length >= 3, "three failed checks, then out");
    assert.ok(
      confirming[2]!.at - diedAt <= 2 * HEALTH.intervalSeconds * 1000,
      "within 2 intervals",
    );
    assert.ok(d.fetches(1) >= 2, "its descriptor fetched again when it was left out");

    // It comes back restarted, with new intro points: a check passes (every 10 s while out),
    // its descriptor is fetched, and it returns with the new intro points.
    revs.set(b1.address, 2);
    dead.delete(b1.address);
    const backAt = d.clock.now();
    await runTo(d, checks, backAt + 15_000);
    assert.deepEqual(d.balancer.health.state(b1), { kind: "healthy" });
    assert.equal(b1.descriptor?.outer.revisionCounter, 2n);
    assert.deepEqual(publishedBackends(d), [b0.address, b1.address].sort());
    const keys = new Set(d.service.published.get("first")!.introPointKeys.flat());
    assert.ok(
      b1.introPoints.some((p) => keys.has(introPointId(p))),
      "the new intro points are the ones published",
    );

    // A new time period: tor's next consensus arrives; every backend is fetched for it and
    // the descriptors are built for the new period. The clock jumps (a suspended machine).
    const next = networkDocuments({ validAfter: NEXT.start() });
    d.tor.consensus = next.consensus;
    d.tor.microdescs = next.microdescs;
    period = NEXT;
    const fetchedBefore = d.tor.fetched.length;
    d.clock.set(NEXT.start() * 1000 + 10_000);
    d.tor.emitLine("STATUS_CLIENT NOTICE CONSENSUS_ARRIVED");
    await runTo(d, checks, NEXT.start() * 1000 + 20_000);
    assert.equal(d.balancer.view!.timeline.currentPeriod.number, NEXT.number);
    assert.ok(d.tor.fetched.length >= fetchedBefore + 2, "every backend fetched again");
    assert.equal(b0.descriptor?.period.number, NEXT.number);
    assert.equal(b1.descriptor?.period.number, NEXT.number);
    const periods = [...d.service.published.values()].map((p) => p.times.period.number);
    assert.ok(periods.includes(NEXT.number), `published for ${periods}`);
    assert.match(d.log.text(), new RegExp(`time period ${NEXT.number} began`));

    // A reload drops backend 1 and changes the health interval: republished without it, and
    // checked no more.
    d.service.backends = [b0];
    d.balancer.reconfigure({
      services: [d.service],
      timings: TIMINGS,
      health: { ...d.balancer.health.config, intervalSeconds: 60 },
    });
    const reloadAt = d.clock.now();
    const wakes = await runTo(d, checks, reloadAt + 400_000);
    // A removed backend's schedules are not waited for: the loop wakes for checks, fetches
    // and publish checks only (it woke every 50 ms once the removed one's fetch was due).
    assert.ok(wakes <= 30, `${wakes} wake-ups in 400 s`);
    assert.deepEqual(publishedBackends(d), [b0.address]);
    const after = checks.made.filter((c) => c.at > reloadAt + 1_000);
    assert.ok(after.every((c) => c.address === b0.address), "backend 1 is not checked any more");
    const gaps = after.slice(1).map((c, i) => c.at - after[i]!.at);
    assert.ok(gaps.length >= 1 && gaps.every((g) => g >= 60_000), `check gaps ${gaps}`);
  } finally {
    stop.abort();
    await running;
  }
  assert.deepEqual(d.tor.subscribedTypes, [], "run() unsubscribed on its way out");
  assert.equal(d.clock.nextWakeAt(), undefined, "no sleep left behind");
});
