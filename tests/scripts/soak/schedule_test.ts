import assert from "node:assert/strict";
import { type Fault, faultSchedule } from "../../../scripts/soak/schedule.ts";

type Of<K extends Fault["kind"]> = Extract<Fault, { kind: K | Fault["kind"] }> & { kind: K };

/** The faults of one kind, typed as such. */
function ofKind<K extends Fault["kind"]>(faults: readonly Fault[], kind: K): Of<K>[] {
  return faults.filter((f): f is Of<K> => f.kind === kind);
}

/** The backends down just after each fault, in order. */
function downOverTime(faults: readonly Fault[]): number[] {
  const down = new Set<number>();
  return faults.map((f) => {
    if (f.kind === "kill-backend") down.add(f.backend);
    if (f.kind === "restart-backend") down.delete(f.backend);
    return down.size;
  });
}

Deno.test("faultSchedule() kills one backend at a time, never the same twice in a row, and brings each back", () => {
  for (const seed of ["a", "b", "c", "soak"]) {
    const faults = faultSchedule({ minutes: 60, backends: 4, relays: 5, seed });
    const kills = ofKind(faults, "kill-backend");
    assert.ok(kills.length >= 13, `${kills.length} kills in 60 minutes (seed ${seed})`);
    assert.ok(kills[0]!.atMs >= 180_000);
    assert.ok(Math.max(...downOverTime(faults)) <= 1, "never two backends down at once");
    for (const [i, kill] of kills.entries()) {
      const restart = faults.find((f) =>
        f.kind === "restart-backend" && f.backend === kill.backend && f.atMs > kill.atMs
      );
      assert.ok(restart !== undefined, "every killed backend is restarted");
      assert.ok(restart.atMs - kill.atMs >= 90_000 && restart.atMs - kill.atMs <= 150_000);
      if (i > 0) assert.notEqual(kill.backend, kills[i - 1]!.backend);
    }
    assert.deepEqual(faults.map((f) => f.atMs), faults.map((f) => f.atMs).sort((a, b) => a - b));
    assert.ok(faults.every((f) => f.atMs < 60 * 60_000 && f.atMs % 1000 === 0));
  }
});

Deno.test("faultSchedule() restarts two HSDir relays and hits every balancer, near the planned fractions", () => {
  const faults = faultSchedule({ minutes: 40, backends: 3, relays: 5, seed: "x" });
  const end = 40 * 60_000;
  const at = (kind: Fault["kind"]) => faults.filter((f) => f.kind === kind).map((f) => f.atMs);
  const near = (ms: number | undefined, fraction: number) =>
    ms !== undefined && ms >= end * fraction && ms <= end * fraction + 30_000;
  const hsdirKills = ofKind(faults, "kill-hsdir");
  assert.equal(hsdirKills.length, 2);
  assert.ok(near(hsdirKills[0]!.atMs, 0.3) && near(hsdirKills[1]!.atMs, 0.85));
  for (const k of hsdirKills) {
    assert.ok(k.relay >= 0 && k.relay < 5);
    assert.ok(
      faults.some((f) =>
        f.kind === "restart-hsdir" && f.relay === k.relay && f.atMs === k.atMs + 10_000
      ),
    );
  }
  assert.ok(near(at("kill-frontend-tors")[0], 0.45));
  assert.equal(at("restart-frontend-tors")[0], at("kill-frontend-tors")[0]! + 20_000);
  assert.ok(near(at("sighup-balancers")[0], 0.6));
  assert.ok(near(at("kill-balancers")[0], 0.75));
  assert.equal(at("restart-balancers")[0], at("kill-balancers")[0]! + 5_000);
});

Deno.test("faultSchedule() is the same for the same seed and differs for another", () => {
  const plan = (seed: string) => faultSchedule({ minutes: 45, backends: 4, relays: 5, seed });
  assert.deepEqual(plan("s1"), plan("s1"));
  assert.notDeepEqual(plan("s1"), plan("s2"));
});

Deno.test("faultSchedule() kills no backend when there is only one, and no relay without relays", () => {
  const faults = faultSchedule({ minutes: 45, backends: 1 });
  assert.ok(!faults.some((f) => f.kind === "kill-backend" || f.kind === "kill-hsdir"));
  assert.ok(faults.some((f) => f.kind === "kill-balancers"));
});

Deno.test("faultSchedule() refuses a run of no length, no backends or a bad relay count", () => {
  assert.throws(() => faultSchedule({ minutes: 0, backends: 4 }), RangeError);
  assert.throws(() => faultSchedule({ minutes: 10, backends: 0 }), RangeError);
  assert.throws(() => faultSchedule({ minutes: 1.5, backends: 4 }), RangeError);
  assert.throws(() => faultSchedule({ minutes: 10, backends: 4, relays: -1 }), RangeError);
});
