import assert from "node:assert/strict";
import type { HsDirCopy } from "../../../scripts/soak/hsdir_check.ts";
import { judgeCopies } from "../../../scripts/soak/hsdir_check.ts";
import type { BackendSample, ProbeRecord } from "../../../scripts/soak/report.ts";
import { judgeTargets, type TargetInput } from "../../../scripts/soak/targets.ts";

const MIN = 60_000;

const probe = (at: number, ms: number, ok = true): ProbeRecord => ({
  balancer: "this",
  at,
  ms,
  ok,
  detail: ok ? "backend0" : "SOCKS5 request failed (GeneralFailure)",
});

/** Backend 0, alive every 5 s with intro point "a", rotating (new blinded key) at 5 min. */
function samples(): BackendSample[] {
  const out: BackendSample[] = [];
  for (let at = 0; at <= 20 * MIN; at += 5_000) {
    out.push({
      backend: 0,
      at,
      alive: true,
      current: ["a"],
      uploaded: [],
      blinded: at < 5 * MIN ? "k1" : "k2",
    });
  }
  return out;
}

const copy = (at: number, hsDir: string, revision: number, keys?: string[]): HsDirCopy => ({
  balancer: "this",
  at,
  period: 7,
  hsDir,
  ...(keys === undefined ? { error: "not found" } : { revision: String(revision), keys }),
});

function input(over: Partial<TargetInput> = {}): TargetInput {
  const probes: ProbeRecord[] = [];
  for (let at = 0; at < 20 * MIN; at += 5_000) probes.push(probe(at, 300));
  return {
    probes,
    samples: samples(),
    kills: [],
    copies: [copy(5.5 * MIN, "D1", 5, ["a"]), copy(5.5 * MIN, "D2", 5, ["a"])],
    // Every 10 s, as the soak samples.
    rss: Array.from({ length: 120 }, (_, i) => ({ at: i * 10_000, bytes: 70 * 2 ** 20 })),
    faultTimes: [],
    hsDirRestarts: [],
    unexpectedExits: 0,
    t0: 0,
    ...over,
  };
}

const verdict = (i: TargetInput, target: string) =>
  judgeTargets(i).find((v) => v.target.startsWith(target))!;

Deno.test("judgeTargets() meets every target on a clean run", () => {
  const verdicts = judgeTargets(input());
  assert.deepEqual(verdicts.filter((v) => !v.ok), []);
  assert.equal(verdicts.length, 5);
});

Deno.test("judgeTargets(): availability below 99.5 % misses, 99.5 % meets", () => {
  const base = input();
  const fail = (n: number) =>
    base.probes.map((p, i) => (i < n ? { ...p, ok: false, detail: "x" } : p));
  // 240 probes: one failure is 99.58 %, two are 99.17 %.
  assert.equal(verdict({ ...base, probes: fail(1) }, "availability").ok, true);
  assert.equal(verdict({ ...base, probes: fail(2) }, "availability").ok, false);
});

Deno.test("judgeTargets(): a failure that was tor's own period-boundary race counts apart, in both probe targets", () => {
  const base = input();
  const raced = { ...probe(5 * MIN + 5_000, 900, false), raced: true };
  const probes = [...base.probes, raced, probe(5 * MIN + 6_000, 100, false)];
  const availability = verdict({ ...base, probes }, "availability");
  assert.equal(availability.ok, true, availability.detail);
  assert.match(availability.detail, /^240\/241 .*; and 1 lost to tor's period-boundary race$/);
  const rotation = verdict({ ...base, probes }, "no failed");
  assert.equal(rotation.ok, false, "the other failure at the rotation still counts");
  assert.doesNotMatch(rotation.detail, /900 ms/);
  assert.equal(verdict({ ...base, probes: [...base.probes, raced] }, "no failed").ok, true);
});

Deno.test("judgeTargets(): a slow or failed probe at a rotation misses, unless a fault came just before", () => {
  const base = input();
  const slow = [...base.probes, probe(5 * MIN + 10_000, 6_000)];
  assert.equal(verdict({ ...base, probes: slow }, "no failed").ok, false);
  const failed = [...base.probes, probe(5 * MIN - 20_000, 100, false)];
  assert.equal(verdict({ ...base, probes: failed }, "no failed").ok, false);
  // Far from the rotation: not the rotation's.
  const far = [...base.probes, probe(12 * MIN, 6_000)];
  assert.equal(verdict({ ...base, probes: far }, "no failed").ok, true);
  // 60 s after a fault: the fault's.
  assert.equal(
    verdict({ ...base, probes: slow, faultTimes: [5 * MIN - 50_000] }, "no failed").ok,
    true,
  );
  // No rotation at all: nothing was shown.
  const still = base.samples.map((s) => ({ ...s, blinded: "k1" }));
  assert.equal(verdict({ ...base, samples: still }, "no failed").ok, false);
});

Deno.test("judgeTargets(): RSS growth from 10 minutes to the balancer's kill, by medians", () => {
  const base = input();
  const mb = (n: number) => n * 2 ** 20;
  // A garbage-collection sawtooth (72 MB rising to 88 over a minute, again and again) does not
  // grow, though its last sample is 22 % above its first.
  const sawtooth = base.rss.map((r, i) => ({ ...r, bytes: mb(72 + (16 * (i % 6)) / 5) }));
  assert.equal(verdict({ ...base, rss: sawtooth }, "RSS").ok, true);
  // 2 MB a minute: medians 93.2 then 106.5 MB, 14 %.
  const growing = base.rss.map((r) => ({ ...r, bytes: mb(70 + 2 * r.at / MIN) }));
  assert.equal(verdict({ ...base, rss: growing }, "RSS").ok, false);
  assert.match(verdict({ ...base, rss: growing }, "RSS").detail, /93\.2 MB .* 106\.5 MB/);
  // Growth only after the schedule killed the balancer (at 17 min) does not count.
  const late = base.rss.map((r) => ({ ...r, bytes: mb(r.at < 17 * MIN ? 80 : 120) }));
  assert.equal(verdict({ ...base, rss: late, balancerKilledAt: 17 * MIN }, "RSS").ok, true);
  assert.equal(verdict({ ...base, rss: late }, "RSS").ok, false);
  // The memory window can start earlier (a short soak).
  assert.match(verdict({ ...base, memoryAfterMs: 2 * MIN }, "RSS").detail, /from 2 min/);
  assert.equal(verdict({ ...base, rss: [] }, "RSS").ok, false);
});

Deno.test("judgeTargets(): HSDir copies must all be there, current, and list only served intro points", () => {
  const base = input();
  const missing = [...base.copies, copy(5.5 * MIN, "D3", 0)];
  assert.equal(verdict({ ...base, copies: missing }, "every HSDir").ok, false);
  // Missing on an HSDir restarted a minute before: reported, not failed; 11 minutes: failed.
  const excused = { ...base, copies: missing, hsDirRestarts: [{ hsDir: "D3", at: 4.5 * MIN }] };
  assert.equal(verdict(excused, "every HSDir").ok, true);
  assert.match(verdict(excused, "every HSDir").detail, /1 missing on restarted HSDirs/);
  const stale = { ...base, copies: missing, hsDirRestarts: [{ hsDir: "D3", at: -6 * MIN }] };
  assert.equal(verdict(stale, "every HSDir").ok, false);
  const closed = [...base.copies, copy(5.5 * MIN, "D3", 5, ["a", "z"])];
  assert.equal(verdict({ ...base, copies: closed }, "every HSDir").ok, false);
  assert.equal(verdict({ ...base, copies: [] }, "every HSDir").ok, false);
  assert.equal(verdict({ ...base, unexpectedExits: 1 }, "exits").ok, false);
});

Deno.test("judgeCopies(): a revision counter going down on one HSDir in one period is found", () => {
  const served = () => new Set(["a"]);
  const ok = judgeCopies([copy(0, "D1", 5, ["a"]), copy(1, "D1", 6, ["a"])], served);
  assert.deepEqual(ok, { missing: [], revisionDown: [], notServed: [], sharedRelay: [] });
  const down = judgeCopies([copy(0, "D1", 6, ["a"]), copy(1, "D1", 5, ["a"])], served);
  assert.deepEqual(down.revisionDown, ["D1 (period 7): 6 then 5"]);
  // Another period starts over.
  const next = { ...copy(1, "D1", 1, ["a"]), period: 8 };
  assert.deepEqual(judgeCopies([copy(0, "D1", 6, ["a"]), next], served).revisionDown, []);
});

Deno.test("judgeTargets(): a killed backend's intro points may stay published for the grace time", () => {
  const base = input();
  const dead: BackendSample[] = [
    ...base.samples.filter((s) => s.at < 5.2 * MIN),
    { backend: 0, at: 5.3 * MIN, alive: false, current: [], uploaded: [] },
  ];
  const copies = [copy(5.5 * MIN, "D1", 5, ["a"])];
  const kills = [{ backend: 0, at: 5.25 * MIN }];
  assert.equal(verdict({ ...base, samples: dead, copies, kills }, "every HSDir").ok, true);
  const late = [copy(8 * MIN, "D1", 5, ["a"])];
  assert.equal(verdict({ ...base, samples: dead, copies: late, kills }, "every HSDir").ok, false);
});

Deno.test("judgeTargets(): an intro point open when a relay was restarted may stay published for the grace time", () => {
  const base = input();
  // Backend 0 replaces intro point "a" by "b" at 5.4 min: the relay that held "a" was restarted.
  const moved: BackendSample[] = base.samples.map((s) =>
    s.at >= 5.4 * MIN ? { ...s, current: ["b"] } : s
  );
  const copies = [copy(5.5 * MIN, "D1", 5, ["a"])];
  const restart = [{ hsDir: "R0", at: 5.3 * MIN }];
  assert.equal(verdict({ ...base, samples: moved, copies }, "every HSDir").ok, false);
  assert.equal(
    verdict({ ...base, samples: moved, copies, hsDirRestarts: restart }, "every HSDir").ok,
    true,
  );
  const late = [copy(7 * MIN, "D1", 5, ["a"])];
  const after = { ...base, samples: moved, copies: late, hsDirRestarts: restart };
  assert.equal(verdict(after, "every HSDir").ok, false, "100 s after the restart: not excused");
});

Deno.test("judgeTargets(): under a busy load, an intro point a live backend retired may stay published 60 s, and the load must retire some", () => {
  const base = input();
  // Backend 0 retires intro point "a" for "b" at 5.4 min, with the same blinded key.
  const retired: BackendSample[] = base.samples.map((s) =>
    s.at >= 5.4 * MIN ? { ...s, current: ["b"] } : s
  );
  const busy = { retiredGraceMs: 60_000 };
  const at = (t: number) => [copy(t, "D1", 5, ["a", "b"])];
  // Without the busy load nothing excuses it.
  assert.equal(
    verdict({ ...base, samples: retired, copies: at(5.5 * MIN) }, "every HSDir").ok,
    false,
  );
  // 10 s after its last sample: excused; 70 s after: not.
  const soon = { ...base, samples: retired, copies: at(5.4 * MIN + 5_000), busy };
  assert.equal(verdict(soon, "every HSDir").ok, true, verdict(soon, "every HSDir").detail);
  const late = { ...base, samples: retired, copies: at(5.4 * MIN + 65_000), busy };
  assert.equal(verdict(late, "every HSDir").ok, false);
  // The busy target: one retired intro point meets it; none misses it; not judged without busy.
  assert.equal(verdict({ ...base, samples: retired, busy }, "the busy load").ok, true);
  assert.match(verdict({ ...base, samples: retired, busy }, "the busy load").detail, /^1 retired$/);
  assert.equal(verdict({ ...base, busy }, "the busy load").ok, false);
  assert.equal(judgeTargets({ ...base, busy }).length, 6);
  assert.equal(judgeTargets(base).length, 5);
});

Deno.test("judgeCopies(): two intro points of a copy on one relay are found", () => {
  const served = () => new Set(["a", "b", "c"]);
  const shared = { ...copy(0, "D1", 5, ["a", "b", "c"]), relays: ["rsa:R1", "rsa:R2", "rsa:R1"] };
  assert.deepEqual(judgeCopies([shared], served).sharedRelay, ["D1: rsa:R1 ×2"]);
  const apart = { ...shared, relays: ["rsa:R1", "rsa:R2", null] };
  assert.deepEqual(judgeCopies([apart], served).sharedRelay, []);
  const input2 = input({ copies: [shared] });
  const v = verdict({
    ...input2,
    samples: input2.samples.map((s) => ({ ...s, current: ["a", "b", "c"] })),
  }, "every HSDir");
  assert.equal(v.ok, false);
  assert.match(v.detail, /two or more intro points on one relay: D1: rsa:R1 ×2/);
});
