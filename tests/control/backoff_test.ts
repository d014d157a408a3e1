import assert from "node:assert/strict";
import { backoffDelay } from "../../src/control/mod.ts";

Deno.test("backoffDelay() doubles from the initial delay and stays in [d/2, d)", () => {
  const options = { initialDelayMs: 100, maxDelayMs: 10_000 };
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, () => 0, options)), [50, 100, 200, 400]);
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, () => 0.999, options)).map(Math.round), [
    100,
    200,
    400,
    800,
  ]);
});

Deno.test("backoffDelay() is capped at maxDelayMs, even after very many attempts", () => {
  const options = { initialDelayMs: 250, maxDelayMs: 30_000 };
  assert.equal(backoffDelay(20, () => 0.5, options), 22_500);
  assert.equal(backoffDelay(5000, () => 0.5, options), 22_500);
});

Deno.test("backoffDelay() rejects a negative or fractional attempt", () => {
  assert.throws(() => backoffDelay(-1, Math.random), RangeError);
  assert.throws(() => backoffDelay(1.5, Math.random), RangeError);
});
