/**
 * A bench input folder small enough for unit tests: 40 relays, 25 with the HSDir flag, two
 * backends (sets of 1 and 2), two shared-hosting frontends.
 *
 * @module
 */

import type { GenerateOptions } from "../../scripts/bench/generate.ts";

/** The generator's options for a tiny folder, seeded with `seed`. */
export function tinyInputOptions(seed: string): GenerateOptions {
  return {
    seed,
    relays: 40,
    hsDirs: 25,
    sets: [1, 2],
    introPointsPerBackend: 3,
    sharedFrontends: 2,
    sharedBackendsPerFrontend: 2,
  };
}
