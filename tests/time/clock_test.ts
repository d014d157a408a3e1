import assert from "node:assert/strict";
import { FakeClock, systemClock, unixSeconds } from "../../src/time/mod.ts";

Deno.test("FakeClock stands still until moved", () => {
  const clock = new FakeClock(new Date("2030-01-01T13:00:00.750Z"));
  assert.equal(unixSeconds(clock), 1893502800);
  clock.advance(250);
  assert.equal(unixSeconds(clock), 1893502801);
  clock.set(0);
  assert.equal(clock.now(), 0);
  clock.advance(-1500);
  assert.equal(unixSeconds(clock), -2); // floor, as for any time before the epoch
  assert.throws(() => clock.set(Number.NaN), RangeError);
  assert.throws(() => new FakeClock(Number.POSITIVE_INFINITY), RangeError);
});

Deno.test("systemClock follows Date.now()", () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
});

Deno.test("FakeClock.sleep() ends when the clock is moved past it, in the order sleeps are due", async () => {
  const clock = new FakeClock(1000);
  const ended: string[] = [];
  const late = clock.sleep(500).then(() => ended.push("late"));
  const early = clock.sleep(200).then(() => ended.push("early"));
  assert.equal(clock.nextWakeAt(), 1200);
  clock.advance(199);
  await Promise.resolve();
  assert.deepEqual(ended, []);
  clock.advance(400); // past both at once: resolved in due order
  await Promise.all([late, early]);
  assert.deepEqual(ended, ["early", "late"]);
  assert.equal(clock.nextWakeAt(), undefined);
  await clock.sleep(0); // nothing to wait for
  await clock.sleep(-5);
});

Deno.test("FakeClock.sleep() and systemClock.sleep() reject with the abort reason and leave no sleep behind", async () => {
  const clock = new FakeClock(0);
  const controller = new AbortController();
  const waiting = clock.sleep(60_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  assert.equal(clock.nextWakeAt(), undefined);
  await assert.rejects(clock.sleep(1, controller.signal), /stop/);

  const real = new AbortController();
  const started = performance.now();
  const sleeping = systemClock.sleep(60_000, real.signal);
  real.abort(new Error("stop"));
  await assert.rejects(sleeping, /stop/); // the test leaks no timer (Deno's sanitizer checks)
  await assert.rejects(systemClock.sleep(1, real.signal), /stop/);
  await systemClock.sleep(5);
  assert.ok(performance.now() - started >= 4);
});
