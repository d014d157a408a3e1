import assert from "node:assert/strict";
import { AUDIT_AFTER_PUBLISH_MS, clientSlot } from "../../src/balancer/audit.ts";
import { FIRST_PROBE_DELAY_MS } from "../../src/balancer/frontend_probe.ts";
import type { HealthResult, ProbeTarget } from "../../src/balancer/mod.ts";
import { until } from "./_fake_tor.ts";
import { answer, fetchesDone, NOW } from "./_daemon.ts";
import { PROBE_CONFIG, reachDaemon } from "./_reach.ts";

const OK: HealthResult = { ok: true, durationMs: 1200 };

Deno.test("Balancer audits the clients' descriptor 30 s after publishing it and heals a missing copy", async () => {
  /** HSDirs that lost their copy (an HSDir restarted). */
  const lost = new Set<string>();
  const r = reachDaemon({
    probe: () => Promise.resolve(OK),
    copy: (hsDir) => (lost.has(hsDir) ? { failed: "NOT_FOUND" } : undefined),
  });
  const { d } = r;
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  await r.at(NOW);
  await fetchesDone(d);
  await r.at(NOW + 1000);
  await d.poster.settle();
  assert.equal(d.poster.posts.length, 16);
  const [slotName, slot] = clientSlot(d.service, r.balancer.view!)!;
  const missing = slot.uploads[2]!.relay.fingerprint;
  lost.add(missing);
  await r.at(NOW + 1000 + AUDIT_AFTER_PUBLISH_MS - 1);
  assert.equal(r.copies.length, 0, "audited before 30 s");
  assert.equal(r.balancer.audit.report(d.service.address), undefined);

  await r.at(NOW + 1000 + AUDIT_AFTER_PUBLISH_MS);
  await until(() => r.balancer.audit.report(d.service.address) !== undefined, "the audit");
  await d.poster.settle();
  assert.deepEqual(r.copies, [{
    address: d.service.address,
    servers: slot.uploads.map((u) => u.relay.fingerprint),
  }]);
  const report = r.balancer.audit.report(d.service.address)!;
  assert.equal(report.slot, slotName);
  assert.equal(report.at, NOW + 1000 + AUDIT_AFTER_PUBLISH_MS);
  assert.deepEqual(
    report.copies.map((c) => [c.state, c.reuploaded]),
    slot.uploads.map((u) =>
      u.relay.fingerprint === missing ? ["missing", true] : ["current", false]
    ),
  );
  assert.deepEqual(d.poster.posts.slice(16).map((p) => p.hsDir), [missing]);
  assert.equal(d.poster.posts[16]!.descriptor, slot.descriptors[slot.uploads[2]!.group]);
  // The next audit is periodic: 900 s ± 10 % later.
  const due = r.balancer.audit.nextDueAt(r.balancer.view, r.balancer.services)!;
  assert.ok(due >= report.at + 810_000 && due <= report.at + 990_000, `+${due - report.at}`);
});

Deno.test("Balancer probes its frontends through health-check.socks even with health checks off", async () => {
  const targets: ProbeTarget[] = [];
  const r = reachDaemon({
    probe: (target) => (targets.push(target), Promise.resolve(OK)),
  });
  const { d } = r;
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  await r.at(NOW);
  assert.equal(targets.length, 0, "not before the start-up settled");
  await fetchesDone(d);
  await r.at(NOW + 1000);
  assert.equal(targets.length, 0, "not in the tick of the first publish");
  await r.at(NOW + 1000 + FIRST_PROBE_DELAY_MS);
  await until(() => r.balancer.probes.state(d.service.address) !== undefined, "the probe");
  assert.deepEqual(targets.map((t) => [t.address, t.port, t.proxy, t.timeoutMs]), [
    [d.service.address, 80, { hostname: "127.0.0.1", port: 9 }, 30_000],
  ]);
  assert.equal(r.balancer.probes.state(d.service.address)?.reachable, true);
  assert.equal(d.balancer.probes.state(d.service.address), undefined, "off by default");
});

/**
 * Runs the daemon loop until it sleeps with nothing left to do at once, and returns how long it
 * sleeps (fake clock, ms).
 */
async function firstCalmSleep(r: ReturnType<typeof reachDaemon>, ready: () => boolean) {
  const stop = new AbortController();
  const running = r.balancer.run(stop.signal);
  try {
    await until(() => ready() && r.d.clock.nextWakeAt() !== undefined, "the loop to settle");
    await r.d.poster.settle();
    return r.d.clock.nextWakeAt()! - r.d.clock.now();
  } finally {
    stop.abort();
    await running;
  }
}

Deno.test("Balancer.run() does not wake every 50 ms while frontend probes cannot start (no SOCKS port)", async () => {
  const r = reachDaemon({ probe: () => Promise.resolve(OK), socks: "auto" });
  const { d } = r;
  d.tor.socksListeners = []; // tor has no SocksPort: probes are off, as the log says
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  const sleep = await firstCalmSleep(r, () => d.poster.posts.length === 16);
  assert.match(d.log.text(), /probes are off: tor has no SocksPort/);
  assert.ok(sleep >= 1000, `the loop sleeps ${sleep} ms`);
});

Deno.test("Balancer.run() waits for tor's consensus without waking every 50 ms for a probe", async () => {
  const r = reachDaemon({ probe: () => Promise.resolve(OK) });
  const { d } = r;
  d.tor.consensus = undefined;
  const sleep = await firstCalmSleep(r, () => /Waiting for/.test(d.log.text()));
  assert.ok(sleep >= 1000, `the loop sleeps ${sleep} ms`);
});

Deno.test("Balancer.run() does not wake every 50 ms for an audit due while tor is away", async () => {
  const r = reachDaemon({ probe: () => Promise.resolve(OK) });
  const { d } = r;
  r.balancer.probes.reconfigure({ ...PROBE_CONFIG, enabled: false }); // only the audit is due
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  const stop = new AbortController();
  const running = r.balancer.run(stop.signal);
  try {
    await until(
      () => d.poster.posts.length === 16 && d.clock.nextWakeAt() !== undefined,
      "a publish",
    );
    await d.poster.settle();
    assert.equal(d.clock.nextWakeAt()! - d.clock.now(), AUDIT_AFTER_PUBLISH_MS);
    d.tor.setState("disconnected");
    // The audit falls due while the control connection is down: it cannot run.
    d.clock.set(NOW + AUDIT_AFTER_PUBLISH_MS + 1000);
    await until(() => d.clock.nextWakeAt() !== undefined, "the loop to sleep again");
    assert.equal(r.copies.length, 0);
    const sleep = d.clock.nextWakeAt()! - d.clock.now();
    assert.ok(sleep >= 1000, `the loop sleeps ${sleep} ms`);
  } finally {
    stop.abort();
    await running;
  }
});
