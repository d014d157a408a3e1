/**
 * Shared by the config tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/mod.ts";

/** The path and base folder the config tests parse under. */
export const OPTIONS = { path: "config.yaml", baseDir: "/etc/onionbalance" };

/** The ConfigError `fn` throws (it fails the test when `fn` throws anything else, or nothing). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}
