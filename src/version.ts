/**
 * The program's version, printed by `onionbalance --version`.
 *
 * Kept equal to `version` in deno.json (a test checks it). The output format
 * `onionbalance X.Y.Z` is the one OnionBalance 0.2.x prints, so scripts that
 * parse it keep working.
 *
 * @module
 */

/** The semantic version of this build. */
export const VERSION = "0.1.0";
