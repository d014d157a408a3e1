import assert from "node:assert/strict";
import {
  type BackendSample,
  classifyClosed,
  closedOverTime,
  leftOutTimes,
  openAt,
  type ProbeRecord,
  retiredIntroPoints,
  rotationTimes,
  summarizeProbes,
} from "../../../scripts/soak/report.ts";

const probe = (at: number, ms: number, ok: boolean, detail: string): ProbeRecord => ({
  balancer: "this",
  at,
  ms,
  ok,
  detail,
});

const sample = (
  backend: number,
  at: number,
  alive: boolean,
  current: string[],
  uploaded: string[] = [],
  blinded = "k1",
): BackendSample => ({ backend, at, alive, current, uploaded, blinded });

Deno.test("summarizeProbes() counts probes over 30 s and failures lost to tor's period-boundary race", () => {
  const s = summarizeProbes([
    probe(0, 48_000, true, "backend1"),
    probe(50_000, 31_000, false, "SOCKS5 request failed (OnionIntroTimedOut)"),
    { ...probe(100_000, 900, false, "SOCKS5 request failed (GeneralFailure)"), raced: true },
    probe(110_000, 300, true, "backend0"),
  ]);
  assert.equal(s.over30s, 2);
  assert.equal(s.raced, 1);
  assert.equal(s.ok, 2, "a raced failure is still a failure here; the targets count it apart");
});

Deno.test("summarizeProbes() counts availability, slow probes, failures by kind and the longest outage", () => {
  const s = summarizeProbes([
    probe(0, 300, true, "backend0"),
    probe(5_000, 30_000, false, "SOCKS5 request failed (HsIntroTimedOut)"),
    probe(10_000, 2_500, false, "SOCKS5 request failed (OnionIntroFailed)"),
    probe(40_000, 6_000, true, "backend1"),
    probe(45_000, 200, true, "backend0"),
  ]);
  assert.equal(s.count, 5);
  assert.equal(s.ok, 3);
  assert.equal(s.availability, 60);
  assert.equal(s.over2s, 3);
  assert.equal(s.over5s, 2);
  assert.equal(s.max, 30_000);
  assert.deepEqual(s.failures, { HsIntroTimedOut: 1, OnionIntroFailed: 1 });
  assert.equal(s.longestOutageMs, 35_000); // from the first failure's start to the next success's
  assert.deepEqual(s.answeredBy, { backend0: 2, backend1: 1 });
  // An outage still going at the end runs to the end of its last probe.
  assert.equal(
    summarizeProbes([probe(0, 100, false, "x"), probe(5_000, 30_000, false, "x")])
      .longestOutageMs,
    35_000,
  );
});

Deno.test("openAt() and closedOverTime() count only the intro points of live backends as open", () => {
  const samples = [
    sample(0, 0, true, ["a", "b"], ["c"]),
    sample(1, 0, true, ["d"]),
    sample(1, 10_000, false, []), // backend 1 died
  ];
  assert.deepEqual([...openAt(samples, 5_000)].sort(), ["a", "b", "c", "d"]);
  assert.deepEqual([...openAt(samples, 10_000)].sort(), ["a", "b", "c"]);
  const summary = closedOverTime([
    { balancer: "this", at: 5_000, keys: ["a", "d"] },
    { balancer: "this", at: 12_000, keys: ["a", "d"] },
    { balancer: "this", at: 13_000 }, // not fetched: not counted
  ], samples);
  assert.deepEqual(summary, { snapshots: 2, withClosed: 1, closedShare: 25, maxClosed: 1 });
});

Deno.test("leftOutTimes() times a killed backend's intro points out of the served descriptor, until its restart", () => {
  const samples = [sample(0, 0, true, ["a"], ["b"]), sample(1, 0, true, ["c"])];
  const served = [
    { balancer: "this", at: 5_000, keys: ["a", "c"] },
    { balancer: "this", at: 15_000, keys: ["b", "c"] },
    { balancer: "this", at: 25_000, keys: ["c"] },
    { balancer: "other", at: 6_000, keys: ["c"] },
  ];
  assert.deepEqual(leftOutTimes([{ backend: 0, at: 1_000 }], served, samples, "this"), [
    { backend: 0, killedAt: 1_000, afterMs: 24_000 },
  ]);
  assert.deepEqual(leftOutTimes([{ backend: 0, at: 1_000 }], served, samples, "other"), [
    { backend: 0, killedAt: 1_000, afterMs: 5_000 },
  ]);
  // Restarted before it was left out.
  assert.deepEqual(
    leftOutTimes([{ backend: 0, at: 1_000, restartedAt: 20_000 }], served, samples, "this"),
    [{ backend: 0, killedAt: 1_000, afterMs: undefined }],
  );
});

Deno.test("rotationTimes() dates a rotation at its last backend, and ignores a restart", () => {
  const samples = [
    sample(0, 0, true, [], [], "p1"),
    sample(1, 0, true, [], [], "p1"),
    sample(0, 5_000, true, [], [], "p2"),
    sample(1, 30_000, true, [], [], "p2"),
    // Backend 1 dies before the next rotation and comes back after it: not a rotation of its own.
    sample(1, 100_000, false, [], [], undefined),
    sample(0, 490_000, true, [], [], "p3"),
    sample(1, 700_000, true, [], [], "p3"),
  ];
  assert.deepEqual(rotationTimes(samples), [30_000, 490_000]);
});

Deno.test("classifyClosed() tells intro points of a backend that is down from those a live backend closed", () => {
  const samples = [
    sample(0, 0, true, ["a"], ["b"]),
    sample(1, 0, true, ["c"]),
    sample(1, 10_000, false, []),
    sample(0, 12_000, true, ["a2"], ["b"]), // backend 0 replaced a
  ];
  assert.deepEqual(classifyClosed(["a", "b", "c", "x"], samples, 15_000), {
    closed: 2, // a (replaced by a live backend) and x (nobody's)
    ofDownBackends: 1, // c
  });
});

Deno.test("retiredIntroPoints() counts intro points a live backend dropped, not those of a rotation or a restart", () => {
  const samples = [
    sample(0, 0, true, ["a", "b"]),
    sample(0, 5, true, ["a", "c"]), // "b" retired
    sample(1, 5, true, ["x"]),
    sample(0, 10, true, ["d", "e"], [], "k2"), // a rotation: not counted
    sample(1, 10, false, []),
    sample(1, 15, true, ["y"]), // a restart: not counted
    sample(0, 15, true, ["e", "f"], [], "k2"), // "d" retired
  ];
  assert.equal(retiredIntroPoints(samples), 2);
  // Out of order in the array: sorted by time first.
  assert.equal(retiredIntroPoints([...samples].reverse()), 2);
  assert.equal(retiredIntroPoints([]), 0);
});
