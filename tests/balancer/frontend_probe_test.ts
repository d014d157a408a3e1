import assert from "node:assert/strict";
import { FIRST_PROBE_DELAY_MS, FrontendProber } from "../../src/balancer/frontend_probe.ts";
import {
  FrontendService,
  type HealthResult,
  NO_METRICS,
  type ProbeTarget,
} from "../../src/balancer/mod.ts";
import { DEFAULT_FRONTEND_PROBE, type FrontendProbeConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import type { SocksProxy } from "../../src/socks/mod.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";
import { captureLog, type Deferred, deferred, until } from "./_fake_tor.ts";
import { frontendKey, VALID_AFTER } from "./_fixtures.ts";

const NOW = (VALID_AFTER + 300) * 1000;
const CONFIG: FrontendProbeConfig = {
  enabled: true,
  intervalSeconds: 60,
  timeoutSeconds: 20,
  port: 8080,
};
const PROXY: SocksProxy = { hostname: "127.0.0.1", port: 9050 };

interface Setup {
  prober: FrontendProber;
  services: FrontendService[];
  clock: FakeClock;
  log: ReturnType<typeof captureLog>;
  /** Every probe asked for, with its outcome for the test to give (an Error: it throws). */
  probes: { target: ProbeTarget; result: Deferred<HealthResult | Error> }[];
  /** `metrics.frontendProbe()` calls. */
  metrics: [string, boolean, number][];
  /** What `proxy()` answers. */
  proxy: { value: SocksProxy | undefined; asked: number };
  done: () => number;
}

/**
 * A prober and `count` frontends. Unless `fresh`, it has seen them {@link FIRST_PROBE_DELAY_MS}
 * before NOW (a `startDue` then), so that their first probes are due at NOW.
 */
async function setup(count = 1, config = CONFIG, fresh = false): Promise<Setup> {
  const clock = new FakeClock(NOW);
  const log = captureLog();
  const services = Array.from({ length: count }, (_, i) => {
    const identity = frontendKey(`probe ${i}`);
    return new FrontendService({
      address: onionAddressLabel(identity.public),
      keys: { kind: "key", keypair: identity },
      backends: [],
      options: {
        perBackend: 2,
        distinct: true,
        republishIntervalMs: 3600_000,
        staleAfterMs: 3600_000,
      },
    }, {
      post: () => Promise.resolve({ status: "uploaded" }),
      rng: seededRng("probe"),
      log: log.log,
      clock,
    });
  });
  const probes: Setup["probes"] = [];
  const metrics: Setup["metrics"] = [];
  const proxy: Setup["proxy"] = { value: PROXY, asked: 0 };
  let done = 0;
  const prober = new FrontendProber(config, {
    clock,
    log: log.log,
    proxy: () => (proxy.asked++, Promise.resolve(proxy.value)),
    onDone: () => done++,
    probe: (target) => {
      const result = deferred<HealthResult | Error>();
      probes.push({ target, result });
      return result.promise.then((r) => {
        if (r instanceof Error) throw r;
        return r;
      });
    },
    metrics: { ...NO_METRICS, frontendProbe: (...args) => metrics.push(args) },
  });
  const s = { prober, services, clock, log, probes, metrics, proxy, done: () => done };
  if (!fresh && config.enabled) {
    await prober.startDue(NOW - FIRST_PROBE_DELAY_MS, services);
    proxy.asked = 0;
  }
  return s;
}

/** Ends probe `i` with `result` (or throws it) at `at` and waits until the prober took it. */
async function end(s: Setup, i: number, result: HealthResult | Error, at: number): Promise<void> {
  const done = s.done();
  s.clock.set(at);
  s.probes[i]!.result.resolve(result);
  await until(() => s.done() > done, `probe ${i} to end`);
}

/** Moves the clock to `at` and starts the probes due then. */
async function start(s: Setup, at: number, services = s.services): Promise<void> {
  s.clock.set(at);
  await s.prober.startDue(at, services);
}

const warnings = (s: Setup) => s.log.records.filter((r) => r.level === "warning");

Deno.test("FrontendProber does nothing while frontend-probe is off", async () => {
  const s = await setup(2, DEFAULT_FRONTEND_PROBE);
  assert.equal(s.prober.enabled, false);
  await start(s, NOW);
  await start(s, NOW + 86_400_000);
  assert.equal(s.probes.length, 0);
  assert.equal(s.proxy.asked, 0);
  assert.equal(s.prober.nextDueAt(s.services), undefined);
  assert.equal(s.prober.state(s.services[0]!.address), undefined);
});

Deno.test("FrontendProber probes a frontend it first sees 30 s later, or an interval if shorter", async () => {
  const s = await setup(1, CONFIG, true);
  await start(s, NOW);
  assert.equal(s.probes.length, 0, "not in the tick of the first publish");
  assert.equal(s.prober.nextDueAt(s.services), NOW + FIRST_PROBE_DELAY_MS);
  await start(s, NOW + FIRST_PROBE_DELAY_MS - 1);
  assert.equal(s.probes.length, 0);
  await start(s, NOW + FIRST_PROBE_DELAY_MS);
  assert.equal(s.probes.length, 1);

  const quick = await setup(1, { ...CONFIG, intervalSeconds: 10, timeoutSeconds: 5 }, true);
  await start(quick, NOW);
  assert.equal(quick.prober.nextDueAt(quick.services), NOW + 10_000);
});

Deno.test("FrontendProber probes each frontend when first due, then every interval", async () => {
  const s = await setup(2);
  assert.equal(s.prober.enabled, true);
  assert.ok(s.prober.nextDueAt(s.services)! <= NOW, "due at once");
  await start(s, NOW);
  assert.deepEqual(
    s.probes.map((p) => [p.target.address, p.target.port, p.target.proxy, p.target.timeoutMs]),
    s.services.map((f) => [f.address, 8080, PROXY, 20_000]),
  );
  const [a, b] = s.probes.map((p) => p.target.isolation);
  assert.notEqual(a, b, "a fresh circuit for each probe");
  assert.equal(s.prober.nextDueAt(s.services), undefined, "both running");
  await start(s, NOW + 1000);
  assert.equal(s.probes.length, 2, "no second probe of a frontend while one runs");

  await end(s, 0, { ok: true, durationMs: 1500 }, NOW + 1500);
  await end(s, 1, { ok: true, durationMs: 2500 }, NOW + 2500);
  assert.equal(s.prober.nextDueAt(s.services), NOW + 60_000);
  await start(s, NOW + 59_999);
  assert.equal(s.probes.length, 2);
  await start(s, NOW + 60_000);
  assert.equal(s.probes.length, 4);
  assert.notEqual(s.probes[2]!.target.isolation, a);
});

Deno.test("FrontendProber: one failed probe makes a frontend unreachable, one that passes reachable", async () => {
  const s = await setup();
  const address = s.services[0]!.address;
  const round = async (result: HealthResult, startAt: number, endAt: number) => {
    await start(s, startAt);
    await end(s, s.probes.length - 1, result, endAt);
    return s.prober.state(address);
  };
  assert.deepEqual(await round({ ok: true, durationMs: 800 }, NOW, NOW + 800), {
    reachable: true,
    at: NOW + 800,
    durationMs: 800,
    failures: 0,
    lastOkAt: NOW + 800,
  });
  assert.equal(warnings(s).length, 0, "a first probe that passes is no news");

  const failed = { ok: false, error: "introduction failed", durationMs: 20_000 };
  assert.deepEqual(await round(failed, NOW + 60_000, NOW + 80_000), {
    reachable: false,
    at: NOW + 80_000,
    durationMs: 20_000,
    failures: 1,
    error: "introduction failed",
    lastOkAt: NOW + 800,
  });
  assert.equal(warnings(s).length, 1);
  assert.match(
    warnings(s)[0]!.message,
    new RegExp(
      `^${address}\\.onion:8080 is unreachable: the probe failed after 20\\.0 s ` +
        `\\(introduction failed\\)$`,
    ),
  );
  const again = await round({ ...failed, error: "timed out" }, NOW + 120_000, NOW + 140_000);
  assert.equal(again?.failures, 2);
  assert.equal(again?.error, "timed out");
  assert.equal(again?.lastOkAt, NOW + 800);
  assert.equal(warnings(s).length, 1, "not warned again while it lasts");

  const back = await round({ ok: true, durationMs: 3000 }, NOW + 200_000, NOW + 203_000);
  assert.deepEqual(back, {
    reachable: true,
    at: NOW + 203_000,
    durationMs: 3000,
    failures: 0,
    lastOkAt: NOW + 203_000,
  });
  assert.equal(warnings(s).length, 2);
  assert.match(
    warnings(s)[1]!.message,
    /:8080 is reachable again \(the probe connected in 3\.0 s\)$/,
  );
  assert.deepEqual(s.metrics, [
    [address, true, 800],
    [address, false, 20_000],
    [address, false, 20_000],
    [address, true, 3000],
  ]);
});

Deno.test("FrontendProber does not count a probe that found the SOCKS port down", async () => {
  const s = await setup();
  const address = s.services[0]!.address;
  await start(s, NOW);
  await end(s, 0, { ok: true, durationMs: 500 }, NOW + 500);
  const before = s.prober.state(address);
  await start(s, NOW + 60_000);
  await end(s, 1, { ok: false, error: "refused", durationMs: 1, proxyDown: true }, NOW + 60_001);
  assert.deepEqual(s.prober.state(address), before);
  assert.equal(s.metrics.length, 1);
  assert.equal(warnings(s).length, 0);
  assert.equal(s.prober.nextDueAt(s.services), NOW + 120_000);
});

Deno.test("FrontendProber counts a probe function that throws as a failed probe", async () => {
  const s = await setup();
  const address = s.services[0]!.address;
  await start(s, NOW);
  await end(s, 0, new Error("socket exploded"), NOW + 4000);
  const state = s.prober.state(address)!;
  assert.equal(state.reachable, false);
  assert.equal(state.failures, 1);
  assert.equal(state.error, "socket exploded");
  assert.equal(state.durationMs, 4000);
  assert.deepEqual(s.metrics, [[address, false, 4000]]);
});

Deno.test("FrontendProber waits while no SOCKS port is known", async () => {
  const s = await setup();
  s.proxy.value = undefined;
  await start(s, NOW);
  assert.equal(s.proxy.asked, 1);
  assert.equal(s.probes.length, 0);
  assert.equal(s.prober.state(s.services[0]!.address), undefined);
  s.proxy.value = PROXY;
  await start(s, NOW + 5000);
  assert.equal(s.probes.length, 1);
  assert.equal(s.probes[0]!.target.proxy, PROXY);
});

Deno.test("FrontendProber forgets the frontends no longer configured", async () => {
  const s = await setup(2);
  await start(s, NOW);
  await end(s, 0, { ok: true, durationMs: 100 }, NOW + 100);
  await end(s, 1, { ok: true, durationMs: 100 }, NOW + 100);
  const [kept, removed] = s.services;
  await start(s, NOW + 1000, [kept!]);
  assert.equal(s.prober.state(removed!.address), undefined);
  assert.ok(s.prober.state(kept!.address) !== undefined);
  assert.equal(s.prober.nextDueAt([kept!]), NOW + 60_000);
  // Configured again later: a new frontend, first probed 30 s after it is seen.
  await start(s, NOW + 2000);
  assert.equal(s.probes.length, 2);
  await start(s, NOW + 2000 + FIRST_PROBE_DELAY_MS);
  assert.equal(s.probes.at(-1)!.target.address, removed!.address);
});

Deno.test("FrontendProber.reconfigure() applies a new interval from the next probe and can turn probes off", async () => {
  const s = await setup();
  await start(s, NOW);
  s.prober.reconfigure({ ...CONFIG, intervalSeconds: 300, port: 443 });
  await end(s, 0, { ok: true, durationMs: 100 }, NOW + 100);
  assert.equal(s.prober.nextDueAt(s.services), NOW + 60_000, "the running probe keeps its own");
  await start(s, NOW + 60_000);
  assert.equal(s.probes[1]!.target.port, 443);
  await end(s, 1, { ok: true, durationMs: 100 }, NOW + 60_100);
  assert.equal(s.prober.nextDueAt(s.services), NOW + 360_000);
  s.prober.reconfigure({ ...CONFIG, enabled: false });
  assert.equal(s.prober.enabled, false);
  assert.equal(s.prober.nextDueAt(s.services), undefined);
  await start(s, NOW + 86_400_000);
  assert.equal(s.probes.length, 2);
  assert.equal(s.prober.state(s.services[0]!.address), undefined, "results forgotten");
});
