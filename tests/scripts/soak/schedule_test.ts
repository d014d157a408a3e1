import assert from "node:assert/strict";
import { faultSchedule } from "../../../scripts/soak/schedule.ts";

Deno.test("faultSchedule() kills each backend in turn, brings it back, and hits every balancer", () => {
  const faults = faultSchedule({ minutes: 45, backends: 4 });
  const kills = faults.filter((f) => f.kind === "kill-backend");
  // From minute 3, every 4 minutes, while a 2-minute outage still ends inside the run.
  assert.deepEqual(kills.map((f) => f.atMs / 60_000), [3, 7, 11, 15, 19, 23, 27, 31, 35, 39]);
  assert.deepEqual(kills.map((f) => "backend" in f && f.backend), [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
  for (const kill of kills) {
    assert.ok(
      faults.some((f) =>
        f.kind === "restart-backend" && "backend" in kill && f.backend === kill.backend &&
        f.atMs === kill.atMs + 120_000
      ),
    );
  }
  const at = (kind: string) => faults.find((f) => f.kind === kind)?.atMs;
  assert.equal(at("kill-frontend-tors"), 1_215_000);
  assert.equal(at("restart-frontend-tors"), 1_235_000);
  assert.equal(at("sighup-balancers"), 1_620_000);
  assert.equal(at("kill-balancers"), 2_025_000);
  assert.equal(at("restart-balancers"), 2_030_000);
  assert.deepEqual(faults.map((f) => f.atMs), faults.map((f) => f.atMs).sort((a, b) => a - b));
  assert.ok(faults.every((f) => f.atMs < 45 * 60_000));
});

Deno.test("faultSchedule() refuses a run of no length or no backends", () => {
  assert.throws(() => faultSchedule({ minutes: 0, backends: 4 }), RangeError);
  assert.throws(() => faultSchedule({ minutes: 10, backends: 0 }), RangeError);
  assert.throws(() => faultSchedule({ minutes: 1.5, backends: 4 }), RangeError);
});
