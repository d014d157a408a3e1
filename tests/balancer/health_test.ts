import assert from "node:assert/strict";
import { HealthMonitor, type HealthResult, type ProbeTarget } from "../../src/balancer/mod.ts";
import { DEFAULT_HEALTH_CHECK, type HealthCheckConfig } from "../../src/config/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";
import { captureLog } from "./_fake_tor.ts";
import { fixtureBackend } from "./_fixtures.ts";

const CONFIG: HealthCheckConfig = {
  ...DEFAULT_HEALTH_CHECK,
  enabled: true,
  intervalSeconds: 30,
  timeoutSeconds: 15,
  failures: 3,
  port: 80,
  socks: "127.0.0.1:9050",
};
const PASS: HealthResult = { ok: true, durationMs: 10 };
const FAIL: HealthResult = { ok: false, error: "no answer", durationMs: 10 };

function monitor(
  config: Partial<HealthCheckConfig> = {},
  listeners = () => Promise.resolve([] as string[]),
) {
  const clock = new FakeClock(1_000_000);
  const log = captureLog();
  const probes: ProbeTarget[] = [];
  const results: HealthResult[] = [];
  const health = new HealthMonitor({ ...CONFIG, ...config }, {
    clock,
    log: log.log,
    socksListeners: listeners,
    probe: (target) => {
      probes.push(target);
      return Promise.resolve(results.shift() ?? PASS);
    },
  });
  return { health, clock, log, probes, results };
}

Deno.test("HealthMonitor: a backend is confirmed dead after `failures` checks in a row, and a pass before that keeps it in", () => {
  const { health } = monitor();
  const { backend } = fixtureBackend("health a");
  assert.deepEqual(health.state(backend), { kind: "unchecked" });
  health.record(backend, PASS, 0);
  assert.deepEqual(health.state(backend), { kind: "healthy" });
  health.record(backend, FAIL, 1);
  health.record(backend, FAIL, 2);
  assert.deepEqual(health.state(backend), { kind: "confirming", failures: 2 });
  assert.equal(health.leftOutReason(backend), undefined, "still published while confirming");
  health.record(backend, PASS, 3);
  assert.deepEqual(health.state(backend), { kind: "healthy" });
  for (let at = 4; at < 7; at++) health.record(backend, FAIL, at);
  assert.deepEqual(health.state(backend), { kind: "left out", failures: 3 });
  assert.equal(health.isLeftOut(backend), true);
  assert.equal(health.leftOutReason(backend), "3 health checks failed in a row");
  health.record(backend, FAIL, 7);
  assert.deepEqual(health.state(backend), { kind: "left out", failures: 4 });
  assert.equal(health.failures(backend), 4);
  assert.deepEqual(health.lastCheck(backend), { at: 7, ok: false, error: "no answer" });
});

Deno.test("HealthMonitor: a returning backend is back only after a fetch that started after its pass", () => {
  const { health } = monitor({ failures: 1 });
  const { backend } = fixtureBackend("health b");
  assert.equal(health.record(backend, FAIL, 0).fetchNow, true, "left out: fetch now");
  // A fetch under way when the pass comes does not count: it may hold the dead intro points.
  health.onFetchStarted(backend);
  assert.equal(health.record(backend, PASS, 1).fetchNow, true, "passes: fetch now");
  assert.deepEqual(health.state(backend), { kind: "returning", fetchStarted: false });
  assert.match(health.leftOutReason(backend)!, /being fetched/);
  assert.equal(health.isLeftOut(backend), false);
  assert.equal(health.onFetchFinished(backend, { newIntroPoints: false }).fetchNow, true);
  assert.deepEqual(health.state(backend), { kind: "returning", fetchStarted: false });
  health.record(backend, PASS, 2); // passing again changes nothing
  health.onFetchStarted(backend);
  assert.equal(health.onFetchFinished(backend, { newIntroPoints: true }).fetchNow, false);
  assert.deepEqual(health.state(backend), { kind: "healthy" });
  assert.equal(health.leftOutReason(backend), undefined);
});

Deno.test("HealthMonitor: a returning backend that fails again is left out at once", () => {
  const { health } = monitor();
  const { backend } = fixtureBackend("health c");
  for (let at = 0; at < 3; at++) health.record(backend, FAIL, at);
  health.record(backend, PASS, 3);
  assert.equal(health.state(backend).kind, "returning");
  assert.equal(health.record(backend, FAIL, 4).fetchNow, false);
  assert.deepEqual(health.state(backend), { kind: "left out", failures: 3 });
});

Deno.test("HealthMonitor: failed checks ask for a fetch, at most every 10 s while in and every interval while out", () => {
  const { health } = monitor();
  const { backend } = fixtureBackend("health d");
  assert.equal(health.record(backend, FAIL, 20_000, 15_000).fetchNow, false, "fetched 5 s ago");
  assert.equal(health.record(backend, FAIL, 25_000, 15_000).fetchNow, true, "fetched 10 s ago");
  assert.equal(health.record(backend, FAIL, 26_000, 25_000).fetchNow, true, "threshold: always");
  assert.equal(health.record(backend, FAIL, 50_000, 25_000).fetchNow, false, "out, 25 s < 30 s");
  assert.equal(health.record(backend, FAIL, 55_000, 25_000).fetchNow, true, "out, 30 s");
});

Deno.test("HealthMonitor: new intro points of a backend left out are checked at once", () => {
  const { health } = monitor({ failures: 1 });
  const [{ backend }, { backend: other }] = [fixtureBackend("health e"), fixtureBackend("f")];
  health.record(backend, FAIL, 1_000);
  assert.deepEqual(health.due(1_000, [backend]), [], "no SOCKS port looked up yet");
  return health.proxy().then(() => {
    assert.deepEqual(health.due(1_000, [backend, other]), [other], "never checked: due");
    health.onFetchFinished(backend, { newIntroPoints: false });
    assert.deepEqual(health.due(1_001, [backend]), []);
    health.onFetchFinished(backend, { newIntroPoints: true });
    assert.deepEqual(health.due(1_001, [backend]), [backend]);
  });
});

Deno.test("HealthMonitor: a streak of 0xF2 (every intro point refused) is confirmed 1 s after each fetch ends, not a slot apart", async () => {
  const { health, clock } = monitor();
  await health.proxy();
  const { backend } = fixtureBackend("health h");
  const introFailed: HealthResult = { ...FAIL, introFailed: true };
  const t0 = clock.now();
  const slot = 7_500 - FAIL.durationMs; // half of a 30-s interval over 2 confirming checks
  assert.equal(health.record(backend, introFailed, t0, t0 - 60_000).fetchNow, true);
  assert.deepEqual(health.due(t0 + slot - 1, [backend]), [], "until the fetch ends: the slot");
  // A fetch that had started before the check does not count: it may hold the old intro points.
  health.onFetchFinished(backend, { newIntroPoints: false });
  assert.deepEqual(health.due(t0 + slot - 1, [backend]), []);
  health.onFetchStarted(backend);
  clock.advance(400);
  health.onFetchFinished(backend, { newIntroPoints: false });
  assert.deepEqual(health.due(t0 + 1_399, [backend]), []);
  assert.deepEqual(health.due(t0 + 1_400, [backend]), [backend], "1 s after the fetch ended");
  // The next one asks for no fetch (one ended just now): 1 s after the check.
  assert.equal(health.record(backend, introFailed, t0 + 1_500, t0 + 400).fetchNow, false);
  assert.deepEqual(health.due(t0 + 2_499, [backend]), []);
  assert.deepEqual(health.due(t0 + 2_500, [backend]), [backend]);
  assert.equal(health.record(backend, introFailed, t0 + 2_600, t0 + 400).fetchNow, true);
  assert.deepEqual(health.state(backend), { kind: "left out", failures: 3 });
  // Left out, it is checked every third of an interval again.
  assert.deepEqual(health.due(t0 + 2_600 + 9_999, [backend]), []);
  assert.deepEqual(health.due(t0 + 2_600 + 10_000, [backend]), [backend]);
});

Deno.test("HealthMonitor: other failures keep their slot; 0xF2 after a move to new intro points is checked at the new ones", async () => {
  const { health, clock } = monitor();
  await health.proxy();
  const [{ backend }, { backend: moved }] = [fixtureBackend("health i"), fixtureBackend("j")];
  const t0 = clock.now();
  const slot = 7_500 - FAIL.durationMs;
  health.record(backend, FAIL, t0, t0 - 60_000);
  health.onFetchStarted(backend);
  health.onFetchFinished(backend, { newIntroPoints: false });
  assert.deepEqual(health.due(t0 + slot - 1, [backend]), [], "a timeout: one slot later");
  assert.deepEqual(health.due(t0 + slot, [backend]), [backend]);
  // A backend that moved its intro points: tor's cached ones refuse, the fetch brings the new.
  health.record(moved, { ...FAIL, introFailed: true }, t0, t0 - 60_000);
  health.onFetchStarted(moved);
  health.onFetchFinished(moved, { newIntroPoints: true });
  assert.deepEqual(health.due(t0 + 1_000, [moved]), [moved]);
  health.record(moved, PASS, t0 + 1_200);
  assert.deepEqual(health.state(moved), { kind: "healthy" });
  assert.deepEqual(health.due(t0 + 1_200 + 29_999, [moved]), [], "healthy: an interval");
});

Deno.test("HealthMonitor: a check refused by tor's SOCKS port is not counted, and comes again within 5 s", () => {
  const { health } = monitor();
  const { backend } = fixtureBackend("health g");
  health.record(backend, FAIL, 0);
  const down = { ok: false, error: "refused", durationMs: 1, proxyDown: true };
  assert.equal(health.record(backend, down, 100).fetchNow, false);
  assert.deepEqual(health.state(backend), { kind: "confirming", failures: 1 });
  assert.deepEqual(health.lastCheck(backend), { at: 0, ok: false, error: "no answer" });
});

Deno.test("HealthMonitor.check(): deadlines and next checks follow the backend's state", async () => {
  const { health, clock, probes, results } = monitor();
  const { backend } = fixtureBackend("health h");
  const proxy = (await health.proxy())!;
  assert.deepEqual(proxy, { hostname: "127.0.0.1", port: 9050 });
  const t0 = clock.now();
  await health.check(backend, proxy);
  assert.equal(probes[0]!.timeoutMs, 15_000, "healthy: half an interval");
  assert.equal(probes[0]!.address, backend.address);
  assert.equal(health.nextDueAt([backend]), t0 + 30_000);
  results.push(FAIL);
  await health.check(backend, proxy);
  assert.equal(
    health.nextDueAt([backend]),
    t0 + 7_500 - 10,
    "confirming: one slot, start to start",
  );
  results.push(FAIL);
  await health.check(backend, proxy);
  assert.equal(probes[2]!.timeoutMs, 7_250, "a confirming check gets a slot less the gap");
  results.push(FAIL);
  await health.check(backend, proxy);
  assert.equal(health.state(backend).kind, "left out");
  assert.equal(health.nextDueAt([backend]), t0 + 10_000, "left out: a third of an interval");
  assert.notEqual(probes[0]!.isolation, probes[1]!.isolation, "a fresh circuit per check");
});

Deno.test("HealthMonitor.reconfigure(): a new threshold judges the streak; off means nobody is left out", () => {
  const { health } = monitor();
  const { backend } = fixtureBackend("health i");
  health.record(backend, FAIL, 0);
  health.record(backend, FAIL, 1);
  health.reconfigure({ ...CONFIG, failures: 2 });
  assert.deepEqual(health.state(backend), { kind: "left out", failures: 2 });
  health.reconfigure({ ...CONFIG, enabled: false });
  assert.equal(health.leftOutReason(backend), undefined);
  assert.equal(health.isLeftOut(backend), false);
  assert.deepEqual(health.due(0, [backend]), []);
  health.reconfigure({ ...CONFIG, failures: 5 });
  assert.deepEqual(health.state(backend), { kind: "confirming", failures: 2 });
});

Deno.test("HealthMonitor.proxy(): asks tor once for `auto`; no SocksPort turns checks off, an error retries", async () => {
  let answers: (() => Promise<string[]>)[] = [
    () => Promise.reject(new Error("tor is restarting")),
    () => Promise.resolve(['"unix:/run/tor/socks"', '"127.0.0.1:9150"']),
  ];
  let asked = 0;
  const { health, log } = monitor({ socks: "auto" }, () => (asked++, answers.shift()!()));
  assert.equal(await health.proxy(), undefined);
  assert.match(log.text(), /Cannot ask tor for its SOCKS port \(tor is restarting\)/);
  assert.deepEqual(await health.proxy(), { hostname: "127.0.0.1", port: 9150 });
  assert.deepEqual(await health.proxy(), { hostname: "127.0.0.1", port: 9150 });
  assert.equal(asked, 2, "kept once found");
  health.forgetProxy();
  answers = [() => Promise.resolve([])];
  assert.equal(await health.proxy(), undefined);
  assert.equal(await health.proxy(), undefined);
  assert.equal(asked, 3, "none: checks off until tor reconnects or the config changes");
  assert.match(log.text(), /tor has no SocksPort/);
  health.reconfigure({ ...CONFIG, socks: "bad" });
  assert.equal(await health.proxy(), undefined);
  assert.match(log.text(), /bad SOCKS address "bad"/);
});
