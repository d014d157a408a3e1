// deno-lint-ignore-file no-console -- the cardinality case prints what it measured
import assert from "node:assert/strict";
import {
  type AuditReport,
  Balancer,
  BalancerMetrics,
  COPY_STATES,
  FrontendService,
  type HealthResult,
  LEFT_OUT_REASONS,
  leftOutReasonLabel,
  MetricsServer,
  PUBLISH_REASONS,
  type PublishedSlot,
  publishReasonLabel,
} from "../../src/balancer/mod.ts";
import { DEFAULT_HEALTH_CHECK } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { onionAddressLabel } from "../../src/keys/mod.ts";
import { redactOnionAddresses } from "../../src/log/mod.ts";
import { FakeClock, TimePeriod } from "../../src/time/mod.ts";
import { answer, daemon, fetchesDone, NOW, TIMINGS } from "./_daemon.ts";
import { captureLog, FakePoster, FakeTor } from "./_fake_tor.ts";
import { fixtureBackend, frontendKey } from "./_fixtures.ts";
import { series, value } from "./_metrics_text.ts";
import { baseEnv, compileFlags } from "../cli/_compile_flags.ts";

const FAIL: HealthResult = { ok: false, error: "no answer", durationMs: 15_000 };

function metricsFor(clock: FakeClock, unsafe = false) {
  return new BalancerMetrics({
    addressLabel: (a) => unsafe ? a : redactOnionAddresses(a),
    now: () => clock.now(),
    processMetrics: false,
  });
}

Deno.test("BalancerMetrics reports usable backends, fetches, publishes, uploads and health checks", async () => {
  const clock = new FakeClock(NOW);
  const metrics = metricsFor(clock);
  const d = daemon(2, undefined, {
    metrics,
    health: { enabled: true, socks: "127.0.0.1:9" },
    probe: () => Promise.resolve({ ok: true, durationMs: 200 }),
  });
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  metrics.watch(d.balancer);
  // The fixture has a clock of its own: read state at its time.
  clock.set(d.clock.now());
  await d.at(NOW);
  await fetchesDone(d);
  await d.at(NOW + 1000);
  await d.poster.settle();
  clock.set(NOW + 1000);
  let text = await metrics.text();

  const service = redactOnionAddresses(`${d.service.address}.onion`);
  const [b0, b1] = d.backends.map((b) => redactOnionAddresses(`${b.address}.onion`));
  assert.match(service, /^\?\?\?[a-z2-7]{3}\.onion$/);
  assert.ok(!text.includes(d.service.address), "the service address is redacted");
  for (const b of d.backends) assert.ok(!text.includes(b.address), "backend addresses redacted");
  assert.equal(value(text, "onionbalance_backend_usable", { service, backend: b0! }), 1);
  assert.equal(value(text, "onionbalance_backend_usable", { service, backend: b1! }), 1);
  assert.equal(series(text, "onionbalance_backend_left_out").length, 0);
  assert.equal(
    value(text, "onionbalance_descriptor_fetches_total", { backend: b0!, result: "new" }),
    1,
  );
  for (const slot of ["first", "second"]) {
    assert.equal(
      value(text, "onionbalance_publishes_total", { service, slot, reason: "first" }),
      1,
    );
    assert.equal(
      value(text, "onionbalance_last_publish_timestamp_seconds", { service, slot }),
      (NOW + 1000) / 1000,
    );
    assert.equal(
      value(text, "onionbalance_descriptor_intro_points", { service, slot, descriptor: "0" }),
      4,
    );
    const size = value(text, "onionbalance_descriptor_size_bytes", {
      service,
      slot,
      descriptor: "0",
    });
    assert.equal(size, d.service.published.get(slot as "first")!.descriptors[0]!.length);
  }
  assert.equal(
    value(text, "onionbalance_hsdir_uploads_total", { service, result: "accepted" }),
    16,
  );
  assert.ok(value(text, "onionbalance_health_checks_total", { backend: b0!, result: "ok" }) >= 1);

  // Backend 0 fails three checks: left out, and says why.
  for (let i = 1; i <= 3; i++) {
    d.balancer.health.record(d.backends[0]!.backend, FAIL, NOW + 1000 + i);
  }
  text = await metrics.text();
  assert.equal(value(text, "onionbalance_backend_usable", { service, backend: b0! }), 0);
  assert.equal(value(text, "onionbalance_backend_usable", { service, backend: b1! }), 1);
  assert.equal(
    value(text, "onionbalance_backend_left_out", {
      service,
      backend: b0!,
      reason: "health_checks_failed",
    }),
    1,
  );
  assert.equal(
    value(text, "onionbalance_health_checks_total", { backend: b0!, result: "failed" }),
    3,
  );
  assert.equal(
    value(text, "onionbalance_health_check_duration_seconds_bucket", {
      result: "failed",
      le: "15",
    }),
    3,
  );
  assert.equal(
    value(text, "onionbalance_health_check_duration_seconds_bucket", {
      result: "failed",
      le: "10",
    }),
    0,
  );
});

Deno.test("BalancerMetrics: a failed upload, its retry and the control connection", async () => {
  const clock = new FakeClock(NOW);
  const metrics = metricsFor(clock, true);
  const d = daemon(1, undefined, { metrics });
  d.tor.onFetch = () => answer(d.backends[0]!, 1);
  metrics.watch(d.balancer);
  d.poster.answer = () => ({ status: "failed", reason: "UPLOAD_REJECTED" });
  await d.at(NOW);
  await fetchesDone(d);
  await d.at(NOW + 1000);
  await d.poster.settle();
  d.poster.answer = () => ({ status: "uploaded" });
  await d.at(NOW + 3_600_000 - 1);
  await d.poster.settle();
  metrics.torConnection("disconnected");
  let text = await metrics.text();
  // Unsafe logging: the whole address.
  const service = `${d.service.address}.onion`;
  assert.equal(value(text, "onionbalance_hsdir_uploads_total", { service, result: "failed" }), 16);
  assert.equal(value(text, "onionbalance_hsdir_uploads_total", { service, result: "retried" }), 16);
  assert.equal(
    value(text, "onionbalance_hsdir_uploads_total", { service, result: "accepted" }),
    16,
  );
  assert.ok(!text.includes("UPLOAD_REJECTED"), "no error text in a label");
  assert.equal(value(text, "onionbalance_tor_control_connected"), 0);
  metrics.torConnection("connected");
  text = await metrics.text();
  assert.equal(value(text, "onionbalance_tor_control_connected"), 1);
  assert.equal(value(text, "onionbalance_tor_control_reconnects_total"), 1);
});

Deno.test("publishReasonLabel() and leftOutReasonLabel() map every reason the balancer gives", () => {
  const reasons: [string, string][] = [
    ["first publish", "first"],
    ["the time period changed", "period_changed"],
    ["the shared random value changed", "srv_changed"],
    ["the responsible HSDirs changed", "hsdirs_changed"],
    ["the intro points changed", "intro_points_changed"],
    ["republish interval reached", "interval"],
    ["the connection to tor is back", "tor_reconnected"],
    ["the offline key bundle changed", "keys_changed"],
    ["the authorized clients changed (3 now)", "clients_changed"],
    ["something new", "other"],
  ];
  for (const [text, label] of reasons) assert.equal(publishReasonLabel(text), label, text);
  assert.deepEqual(new Set(reasons.map(([, l]) => l)), new Set(PUBLISH_REASONS));
  const leftOut: [string, string][] = [
    ["no descriptor yet", "no_descriptor"],
    ["restricted (client authorization) and no client-key is configured for it", "client_auth"],
    ["its descriptor has no usable intro points", "no_intro_points"],
    ["no descriptor fetched for 3700 s", "stale"],
    [
      "its revision counter has not advanced for 3 hours (the backend stopped publishing)",
      "revision_stuck",
    ],
    ["3 health checks failed in a row", "health_checks_failed"],
    ["it passes its health check again; its descriptor is being fetched", "returning"],
    ["anything else", "other"],
  ];
  for (const [text, label] of leftOut) assert.equal(leftOutReasonLabel(text), label, text);
  assert.deepEqual(new Set(leftOut.map(([, l]) => l)), new Set(LEFT_OUT_REASONS));
});

Deno.test("MetricsServer serves /metrics with prom-client's content type and 404 elsewhere", async () => {
  const metrics = metricsFor(new FakeClock(NOW));
  metrics.torConnection("connected");
  const server = MetricsServer.listen({ hostname: "127.0.0.1", port: 0 }, metrics);
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${base}/metrics`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), metrics.contentType);
    assert.match(await ok.text(), /^onionbalance_tor_control_reconnects_total 1$/m);
    const other = await fetch(`${base}/`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("BalancerMetrics: the process metrics work under the daemon binary's permissions", async () => {
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      ...await compileFlags("compile:onionbalance"),
      new URL("./_metrics_probe.ts", import.meta.url).pathname,
    ],
    env: baseEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stderr), "", "no permission prompt or warning");
  assert.ok(value(text, "onionbalance_process_resident_memory_bytes") > 1_000_000);
  assert.ok(value(text, "onionbalance_process_cpu_seconds_total") > 0);
  assert.ok(value(text, "onionbalance_process_start_time_seconds") > 1_600_000_000);
  assert.ok(value(text, "onionbalance_nodejs_heap_size_used_bytes") > 0);
  assert.equal(series(text, "onionbalance_process_open_fds").length, 0, "left out: reads 0");
});

/** An audit of 8 HSDir copies, every state among them. */
const AUDITED: AuditReport = {
  at: NOW,
  slot: "first",
  period: TimePeriod.containing(Math.floor(NOW / 1000)),
  revision: 1n,
  copies: Array.from({ length: 8 }, (_, i) => ({
    hsDir: i.toString(16).padStart(40, "0"),
    nickname: `hsdir${i}`,
    state: COPY_STATES[i % COPY_STATES.length]!,
    reuploaded: i === 1,
  })),
};

Deno.test("BalancerMetrics: 1,000 frontends of 3 backends each keep the series count linear and bounded", async () => {
  const clock = new FakeClock(NOW);
  const metrics = metricsFor(clock);
  const rng = seededRng("cardinality");
  const services: FrontendService[] = [];
  const options = {
    perBackend: 2,
    distinct: true,
    republishIntervalMs: 3600_000,
    staleAfterMs: 3600_000,
  };
  const deps = { post: new FakePoster().post, rng, log: captureLog().log, clock, metrics };
  for (let i = 0; i < 1000; i++) {
    const identity = frontendKey(`cardinality ${i}`);
    const backends = [0, 1, 2].map((j) => fixtureBackend(`cardinality ${i}/${j}`).backend);
    const service = new FrontendService({
      address: onionAddressLabel(identity.public),
      keys: { kind: "key", keypair: identity },
      backends,
      options,
    }, deps);
    // Published state as after a publish with two descriptors per slot (the worst case here).
    for (const slot of ["first", "second"] as const) {
      service.published.set(slot, {
        descriptors: ["x".repeat(15_000), "y".repeat(15_000)],
        introPointCounts: [20, 20],
        uploads: [{ status: "uploaded", lastResultAt: NOW }],
      } as unknown as PublishedSlot);
    }
    services.push(service);
  }
  const balancer = new Balancer(
    { services, timings: TIMINGS, health: { ...DEFAULT_HEALTH_CHECK, enabled: false } },
    { client: new FakeTor(), clock, log: captureLog().log },
  );
  metrics.watch(balancer);
  // Every event of every kind for every service and backend: the most series each can have.
  for (const s of services) {
    for (const slot of ["first", "second"] as const) {
      for (const reason of ["first publish", "the intro points changed", "x"]) {
        metrics.publish(s.address, slot, reason);
      }
    }
    for (const result of ["accepted", "failed", "retried"] as const) {
      metrics.upload(s.address, result);
    }
    for (const b of s.backends) {
      metrics.healthCheck(b, true, 300);
      metrics.healthCheck(b, false, 15_000);
      for (const r of ["new", "updated", "same", "rollback", "failed"] as const) {
        metrics.descriptorFetch(b, r);
      }
    }
    metrics.audit(s.address, AUDITED.copies);
    metrics.frontendProbe(s.address, true, 1_500);
    metrics.frontendProbe(s.address, false, 30_000);
  }
  // Every service audited (8 copies, every state) and probed, as the daemon would hold them.
  balancer.audit.report = () => AUDITED;
  balancer.probes.state = () => ({ reachable: true, at: NOW, durationMs: 1_500, failures: 0 });
  const heapBefore = Deno.memoryUsage().heapUsed;
  const started = performance.now();
  const text = await metrics.text();
  const ms = performance.now() - started;
  const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  const names = new Set(samples.map((l) => l.split(/[{ ]/)[0]));
  const bytes = new TextEncoder().encode(text).length;
  console.log(
    `1,000 frontends × 3 backends: ${samples.length} series in ${names.size} metrics, ` +
      `${(bytes / 1e6).toFixed(2)} MB page, scrape ${ms.toFixed(0)} ms, ` +
      `heap +${((Deno.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB during it`,
  );
  // Per service: 3 usable + 3 left out + 2 slots × (2 sizes + 2 counts + 1 last publish) +
  // 2 slots × 3 reasons + 3 upload results = 25, and for the audit and the probe 6 copy states +
  // 1 audit time + 1 re-upload count + 1 reachable + 2 probe results + 1 last duration = 12; per
  // backend: 2 check results + 5 fetch results. Plus the two histograms (2 results × 13 each)
  // and the two connection series.
  assert.equal(samples.length, 1000 * (25 + 12 + 3 * 7) + 2 * 26 + 2);
  assert.ok(bytes < 10_000_000, `${bytes} bytes`);
  // The redacted form keeps 7 bits: shared ones get "#N", so every service has its own series.
  const labels = new Set(series(text, "onionbalance_backend_usable").map((s) => s.labels.service));
  assert.equal(labels.size, 1000);
  assert.ok([...labels].some((l) => /^\?\?\?[a-z2-7]{2}d\.onion#\d+$/.test(l!)));
});
