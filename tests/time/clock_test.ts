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
