/**
 * Property tests for the HSDir ring: on random relay sets and parameters,
 * `HsDirRing.responsible()` equals a naive transcription of tor's algorithm,
 * never repeats a relay, and returns min(n_replicas × spread, ring size) relays.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { hsDirParams, type HsDirRelay, HsDirRing } from "../../src/hashring/mod.ts";
import { HsBlindIdKey, RelayEd25519Id } from "../../src/keys/mod.ts";
import { SharedRandomValue, TimePeriod } from "../../src/time/mod.ts";
import { referenceResponsible } from "../hashring/_reference.ts";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const relayArb: fc.Arbitrary<HsDirRelay & { n: number }> = fc.record({
  n: fc.nat(),
  flags: fc.constantFrom(["HSDir"], ["HSDir", "Running"], ["Running"]),
  protocols: fc.constantFrom(
    new Map([["HSDir", new Set([1, 2])]]),
    new Map([["HSDir", new Set([2])]]),
    new Map([["HSDir", new Set([1])]]),
    undefined,
  ),
  version: fc.constantFrom("Tor 0.4.8.9", "Tor 0.2.9.1", undefined),
  ed25519Id: fc.option(bytes32.map((b) => RelayEd25519Id.fromBytes(b)), { nil: undefined }),
});

Deno.test("HsDirRing.responsible() equals tor's algorithm on random rings", () => {
  fc.assert(
    fc.property(
      fc.array(relayArb, { maxLength: 60, size: "max" }),
      bytes32,
      bytes32,
      fc.integer({ min: 1, max: 100000 }),
      fc.record({
        hsdir_n_replicas: fc.integer({ min: 0, max: 5 }),
        hsdir_spread_store: fc.integer({ min: 0, max: 10 }),
        hsdir_spread_fetch: fc.integer({ min: 0, max: 10 }),
      }),
      fc.constantFrom("store" as const, "fetch" as const),
      (relays, srvBytes, blindedBytes, tp, rawParams, purpose) => {
        const times = { period: new TimePeriod(tp), srv: SharedRandomValue.fromBytes(srvBytes) };
        const params = hsDirParams(new Map(Object.entries(rawParams)));
        const blinded = HsBlindIdKey.fromBytes(blindedBytes);
        const ring = HsDirRing.build(relays, times);
        const got = ring.responsible(blinded, { params, purpose });
        assert.deepEqual(got, referenceResponsible(relays, times, blinded, params, purpose));
        assert.equal(new Set(got).size, got.length);
        const spread = purpose === "store" ? params.spreadStore : params.spreadFetch;
        assert.equal(got.length, Math.min(params.nReplicas * spread, ring.size));
      },
    ),
    { numRuns: 300 },
  );
});
