import assert from "node:assert/strict";
import { AUDIT_AFTER_PUBLISH_MS, clientSlot } from "../../src/balancer/audit.ts";
import { FIRST_PROBE_DELAY_MS } from "../../src/balancer/frontend_probe.ts";
import { COPY_STATES } from "../../src/balancer/audit_copy.ts";
import { BalancerMetrics, type HealthResult } from "../../src/balancer/mod.ts";
import { DEFAULT_HEALTH_CHECK } from "../../src/config/mod.ts";
import { until } from "./_fake_tor.ts";
import { series, value } from "./_metrics_text.ts";
import { answer, fetchesDone, NOW } from "./_daemon.ts";
import { PROBE_CONFIG, reachDaemon } from "./_reach.ts";

const FAILED: HealthResult = { ok: false, error: "introduction failed", durationMs: 20_000 };

/** A daemon with metrics that published at +1 s, probed (1.2 s, ok) and audited at +31 s. */
async function audited(results: HealthResult[]) {
  const metrics = new BalancerMetrics({
    addressLabel: (a) => a,
    now: () => NOW,
    processMetrics: false,
  });
  const lost = new Set<string>();
  const r = reachDaemon({
    metrics,
    probe: () => Promise.resolve(results.shift() ?? FAILED),
    copy: (hsDir) => (lost.has(hsDir) ? { failed: "NOT_FOUND" } : undefined),
  });
  metrics.watch(r.balancer);
  const { d } = r;
  const service = `${d.service.address}.onion`;
  d.tor.onFetch = (address) => answer(d.backends.find((b) => b.address === address)!, 1);
  const before = await metrics.text();
  await r.at(NOW);
  await fetchesDone(d);
  await r.at(NOW + 1000);
  await d.poster.settle();
  lost.add(clientSlot(d.service, r.balancer.view!)![1].uploads[0]!.relay.fingerprint);
  // The audit after the first publish, and the first probe (FIRST_PROBE_DELAY_MS after it).
  await r.at(NOW + 1000 + AUDIT_AFTER_PUBLISH_MS);
  await until(() => r.balancer.audit.report(d.service.address) !== undefined, "the audit");
  await until(() => r.balancer.probes.state(d.service.address) !== undefined, "the probe");
  await d.poster.settle();
  return { r, metrics, service, before };
}

Deno.test("BalancerMetrics reports the last audit's copies by state and its re-uploads", async () => {
  const { metrics, service, before } = await audited([{ ok: true, durationMs: 1200 }]);
  for (const name of ["hsdir_copies", "audit_timestamp_seconds", "audit_reuploads_total"]) {
    assert.equal(series(before, `onionbalance_${name}`).length, 0, `${name} before any audit`);
  }
  const text = await metrics.text();
  assert.deepEqual(
    series(text, "onionbalance_hsdir_copies").map((s) => [s.labels.service, s.labels.state]),
    COPY_STATES.map((state) => [service, state]),
    "a series per state, 0 included",
  );
  const copies = (state: string) => value(text, "onionbalance_hsdir_copies", { service, state });
  assert.equal(copies("current"), 7);
  assert.equal(copies("missing"), 1);
  for (const state of ["stale", "foreign", "undecryptable", "unanswered"]) {
    assert.equal(copies(state), 0, state);
  }
  assert.equal(
    value(text, "onionbalance_audit_timestamp_seconds", { service }),
    (NOW + 1000 + AUDIT_AFTER_PUBLISH_MS) / 1000,
  );
  assert.equal(value(text, "onionbalance_audit_reuploads_total", { service }), 1);
  // The re-upload is an upload retried, and accepted.
  assert.equal(value(text, "onionbalance_hsdir_uploads_total", { service, result: "retried" }), 1);
});

Deno.test("BalancerMetrics reports each frontend probe, its result and its duration", async () => {
  const { r, metrics, service, before } = await audited([{ ok: true, durationMs: 1200 }, FAILED]);
  for (const name of ["frontend_reachable", "frontend_probes_total"]) {
    assert.equal(series(before, `onionbalance_${name}`).length, 0, `${name} before any probe`);
  }
  let text = await metrics.text();
  assert.equal(value(text, "onionbalance_frontend_reachable", { service }), 1);
  assert.equal(value(text, "onionbalance_frontend_probes_total", { service, result: "ok" }), 1);
  assert.equal(value(text, "onionbalance_frontend_probe_last_duration_seconds", { service }), 1.2);
  const bucket = (result: string, le: string) =>
    value(text, "onionbalance_frontend_probe_duration_seconds_bucket", { result, le });
  assert.equal(bucket("ok", "1"), 0);
  assert.equal(bucket("ok", "2.5"), 1);
  assert.equal(
    value(text, "onionbalance_frontend_probe_duration_seconds_count", { result: "ok" }),
    1,
  );

  const { d } = r;
  await r.at(NOW + 1000 + FIRST_PROBE_DELAY_MS + PROBE_CONFIG.intervalSeconds * 1000);
  await until(() => r.balancer.probes.state(d.service.address)?.reachable === false, "a failure");
  text = await metrics.text();
  assert.equal(value(text, "onionbalance_frontend_reachable", { service }), 0);
  assert.equal(value(text, "onionbalance_frontend_probes_total", { service, result: "ok" }), 1);
  assert.equal(value(text, "onionbalance_frontend_probes_total", { service, result: "failed" }), 1);
  assert.equal(value(text, "onionbalance_frontend_probe_last_duration_seconds", { service }), 20);
  assert.equal(bucket("failed", "15"), 0);
  assert.equal(bucket("failed", "30"), 1);
});

Deno.test("BalancerMetrics has no frontend_reachable series once frontend-probe is turned off", async () => {
  const { r, metrics, service } = await audited([FAILED]);
  assert.equal(value(await metrics.text(), "onionbalance_frontend_reachable", { service }), 0);
  // A reload turns the probe off: the metric's help says there is no series then, and an alert
  // on the last value would fire for good.
  r.balancer.reconfigure({
    services: r.balancer.services,
    timings: r.balancer.timings,
    health: { ...DEFAULT_HEALTH_CHECK, enabled: false, socks: "127.0.0.1:9" },
    frontendProbe: { ...PROBE_CONFIG, enabled: false },
  });
  await r.at(NOW + 3600_000);
  assert.deepEqual(series(await metrics.text(), "onionbalance_frontend_reachable"), []);
});
