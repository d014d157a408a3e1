import assert from "node:assert/strict";
import { hsDirParams } from "../../src/hashring/mod.ts";

Deno.test("hsDirParams() gives tor's defaults when the consensus has none", () => {
  assert.deepEqual(hsDirParams(), { nReplicas: 2, spreadStore: 4, spreadFetch: 3 });
  assert.deepEqual(hsDirParams(new Map([["other", 9]])), {
    nReplicas: 2,
    spreadStore: 4,
    spreadFetch: 3,
  });
});

Deno.test("hsDirParams() reads and clamps hsdir_n_replicas and the spreads", () => {
  assert.deepEqual(
    hsDirParams(
      new Map([["hsdir_n_replicas", 3], ["hsdir_spread_store", 3], ["hsdir_spread_fetch", 2]]),
    ),
    { nReplicas: 3, spreadStore: 3, spreadFetch: 2 },
  );
  assert.deepEqual(
    hsDirParams(
      new Map([["hsdir_n_replicas", 0], ["hsdir_spread_store", 500], ["hsdir_spread_fetch", -4]]),
    ),
    { nReplicas: 1, spreadStore: 128, spreadFetch: 1 },
  );
  assert.equal(hsDirParams(new Map([["hsdir_n_replicas", 17]])).nReplicas, 16);
});
