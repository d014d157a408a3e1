import assert from "node:assert/strict";
import {
  decodeIdentityKey,
  HsIdKeypair,
  obRevisionCounter,
  RevisionCounter,
} from "../../src/keys/mod.ts";
import { HsTimeline } from "../../src/time/mod.ts";
import { readBinaryVector, readJsonVector, vectorTest } from "../_vectors.ts";

interface ObVectors {
  "voting_interval": number;
  cases: { valid_after: number; now: number; first: boolean }[];
  keys: Record<string, { file: string; counters: number[] }>;
}

vectorTest(
  "obRevisionCounter() reproduces OnionBalance 0.2.2's counters (PEM and tor keys)",
  async () => {
    const v = await readJsonVector<ObVectors>("project/ob_revision_counter.json");
    for (const [name, key] of Object.entries(v.keys)) {
      const { keypair } = decodeIdentityKey(
        await readBinaryVector(key.file.replace(/^tests\/vectors\//, "")),
      );
      for (const [i, c] of v.cases.entries()) {
        const timeline = HsTimeline.fromConsensus({
          validAfter: c.valid_after,
          freshUntil: c.valid_after + v.voting_interval,
          validUntil: c.valid_after + 3 * v.voting_interval,
        });
        const times = timeline.descriptor(c.first ? "first" : "second");
        const counter = await obRevisionCounter(keypair, {
          now: c.now,
          srvRunStart: times.srvRunStart,
        });
        assert.equal(counter.toString(), String(key.counters[i]), `${name} key, case ${i}`);
      }
    }
  },
);

Deno.test("obRevisionCounter() grows every second and is 0 before the SR run starts", async () => {
  const key = HsIdKeypair.fromSeed(new Uint8Array(32).fill(9));
  const at = (now: number) => obRevisionCounter(key, { now, srvRunStart: 1_000_000 });
  assert.equal((await at(999_000)).toBigInt(), 0n);
  assert.equal((await at(999_999)).toBigInt(), 0n); // T = 0
  let last = await at(1_000_000); // T = 1: one word + 1
  assert.ok(last.toBigInt() >= 1n && last.toBigInt() <= 65536n);
  for (const now of [1_000_001, 1_000_002, 1_003_600, 1_086_399, 1_172_799]) {
    const next = await at(now);
    assert.equal(last.compare(next), -1, `at ${now}`);
    last = next;
  }
  // Fractions of a second are dropped, as OnionBalance's int() does.
  assert.ok((await at(1_000_500.9)).equals(await at(1_000_500)));
});

Deno.test("obRevisionCounter() keys PEM keys by seed and tor keys by expanded key", async () => {
  const seeded = HsIdKeypair.fromSeed(new Uint8Array(32).fill(9));
  const expandedOnly = HsIdKeypair.fromExpanded(seeded.expandedSecret());
  const options = { now: 2000, srvRunStart: 0 };
  const a = await obRevisionCounter(seeded, options);
  const b = await obRevisionCounter(expandedOnly, options);
  assert.ok(seeded.public.equals(expandedOnly.public));
  assert.equal(a.equals(b), false);
});

Deno.test("RevisionCounter holds a uint64", () => {
  assert.equal(RevisionCounter.from(0).toString(), "0");
  const max = RevisionCounter.from((1n << 64n) - 1n);
  assert.equal(max.toString(), "18446744073709551615");
  assert.deepEqual(max.toBytes(), new Uint8Array(8).fill(255));
  assert.deepEqual(RevisionCounter.from(258).toBytes(), new Uint8Array([0, 0, 0, 0, 0, 0, 1, 2]));
  assert.throws(() => RevisionCounter.from(-1), RangeError);
  assert.throws(() => RevisionCounter.from(1n << 64n), RangeError);
  assert.throws(() => RevisionCounter.from(1.5), RangeError);
  assert.throws(() => RevisionCounter.from(2 ** 53), RangeError);
  assert.equal(RevisionCounter.from(5).compare(RevisionCounter.from(5n)), 0);
  assert.equal(RevisionCounter.from(6).compare(RevisionCounter.from(5)), 1);
});
