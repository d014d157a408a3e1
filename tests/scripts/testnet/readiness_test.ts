import assert from "node:assert/strict";
import { launchDelay } from "../../../scripts/testnet/readiness.ts";

Deno.test("launchDelay() launches at once early in a 10 s interval, else after the boundary", () => {
  const base = 1_700_000_000_000; // a multiple of 10 s
  assert.equal(launchDelay(base + 500), 0);
  assert.equal(launchDelay(base + 3_000), 0);
  assert.equal(launchDelay(base + 3_001), 10_000 - 3_001 + 200);
  assert.equal(launchDelay(base + 9_000), 1_200);
  assert.equal(launchDelay(base + 100), 100);
});
