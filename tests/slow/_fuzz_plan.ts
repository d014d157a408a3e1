/**
 * What every fuzz file of tests/slow shares about its size: the seed (FUZZ_SEED), the scale
 * (FUZZ_SCALE), the runs of a case at a scale, and the check that a file's cases together plan
 * 100,000 inputs or more at scale 1.
 *
 * @module
 */

import assert from "node:assert/strict";

/** fast-check's seed for every case: FUZZ_SEED, by default 20300101. */
export const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20300101);
/** How many inputs to feed, as a multiple of a file's plan: FUZZ_SCALE, by default 1. */
export const SCALE = Number(Deno.env.get("FUZZ_SCALE") ?? 1);
/** `n` fast-check runs at FUZZ_SCALE `scale`, at least one. */
export const runs = (n: number, scale = SCALE) => Math.max(1, Math.round(n * scale));

/**
 * Prints the inputs the cases `names` plan at FUZZ_SCALE (and the seed), and asserts that they
 * plan 100,000 or more at scale 1. Each case checks that it fed its own plan; the sum comes from
 * the same plan, so the totals case needs no other case to have run.
 */
export function assertPlannedTotal<Name extends string>(
  names: readonly Name[],
  plannedInputs: (name: Name, scale: number) => number,
): void {
  const atScale = (scale: number) => names.reduce((n, name) => n + plannedInputs(name, scale), 0);
  // deno-lint-ignore no-console -- the slow task reports how much it fuzzes
  console.log(
    `${atScale(SCALE)} inputs planned over ${names.length} cases (FUZZ_SCALE ${SCALE}); ` +
      `seed ${SEED}`,
  );
  assert.ok(atScale(1) >= 100_000, `only ${atScale(1)} inputs planned at FUZZ_SCALE 1`);
}
