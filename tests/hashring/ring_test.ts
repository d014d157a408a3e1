import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/bytes/mod.ts";
import {
  type HsDirParams,
  hsDirParams,
  type HsDirRelay,
  HsDirRing,
  isV3HsDir,
} from "../../src/hashring/mod.ts";
import { HsBlindIdKey, RelayEd25519Id } from "../../src/keys/mod.ts";
import { disasterSrv, HsTimeline, SharedRandomValue, TimePeriod } from "../../src/time/mod.ts";
import { readJsonVector, vectorTest } from "../_vectors.ts";
import { referenceResponsible } from "./_reference.ts";

interface TestRelay extends HsDirRelay {
  fingerprint: string;
  nickname: string;
}

/** A relay as OnionBalance's and tor's tests build them: identities are one byte repeated. */
function relay(i: number, overrides: Partial<TestRelay> = {}): TestRelay {
  return {
    nickname: `relay${i}`,
    fingerprint: toHex(new Uint8Array(20).fill(i)).toUpperCase(),
    flags: new Set(["HSDir", "Running", "Valid"]),
    protocols: new Map([["HSDir", new Set([1, 2])]]),
    version: "Tor 0.4.8.9",
    ed25519Id: RelayEd25519Id.fromBytes(new Uint8Array(32).fill(i)),
    ...overrides,
  };
}

interface ObRing {
  nodes: number;
  "valid_after": number;
  "srv_current": string;
  "srv_previous": string;
  first: { "blinded_pubkey": string; hsdirs: string[] };
  second: { "blinded_pubkey": string; hsdirs: string[] };
}

async function obRing() {
  const { hashring: v } = await readJsonVector<{ hashring: ObRing }>("onionbalance/test_v3.json");
  const relays = Array.from({ length: v.nodes }, (_, i) => relay(i + 1));
  const timeline = HsTimeline.fromConsensus({
    validAfter: v.valid_after,
    freshUntil: v.valid_after + 3600,
    validUntil: v.valid_after + 3 * 3600,
    srvCurrent: SharedRandomValue.fromBytes(fromHex(v.srv_current)),
    srvPrevious: SharedRandomValue.fromBytes(fromHex(v.srv_previous)),
  });
  return { v, relays, timeline };
}

vectorTest("HsDirRing reproduces OnionBalance's 255-node hash-ring test", async () => {
  const { v, relays, timeline } = await obRing();
  assert.equal(timeline.inTpToSrv, true);
  for (const slot of ["first", "second"] as const) {
    const times = timeline.descriptor(slot);
    assert.equal(times.period.number, slot === "first" ? 116908 : 116909);
    const ring = HsDirRing.build(relays, times);
    assert.equal(ring.size, 255);
    const blinded = HsBlindIdKey.fromBytes(fromHex(v[slot].blinded_pubkey));
    const got = ring.responsible(blinded, { params: hsDirParams(), purpose: "store" });
    assert.deepEqual(got.map((r) => r.fingerprint), v[slot].hsdirs, `${slot} descriptor`);
    assert.deepEqual(got, referenceResponsible(relays, times, blinded, hsDirParams(), "store"));
  }
});

vectorTest("a replica that starts at the end of the ring wraps around like tor", async () => {
  // With this blinded key, replica 1 of the first descriptor starts past the last relay.
  // OnionBalance 0.2.2 reads relay 0 twice when it wraps, stops that replica early and
  // then refuses to publish ("wrong number of responsible HSDirs"); tor takes 4 + 4.
  const { relays, timeline } = await obRing();
  const times = timeline.descriptor("first");
  const ring = HsDirRing.build(relays, times);
  const blinded = HsBlindIdKey.fromBytes(fromHex("2d01" + "00".repeat(30)));
  const got = ring.responsible(blinded, { params: hsDirParams(), purpose: "store" });
  assert.equal(got.length, 8);
  assert.equal(new Set(got).size, 8);
  assert.equal(got[0], ring.entries()[0]!.relay); // the start wrapped to the first relay
  assert.deepEqual(got, referenceResponsible(relays, times, blinded, hsDirParams(), "store"));
});

Deno.test("only v3 HSDirs are on the ring (tor's test_responsible_hsdirs and §3.6)", () => {
  const period = new TimePeriod(17653); // 2 May 2018, as in tor's test
  const times = { period, srv: disasterSrv(period) };
  const blinded = HsBlindIdKey.fromBytes(new Uint8Array(32).fill(42));
  const notHsDir = relay(3, { flags: ["Running", "Valid"] });
  const ring = HsDirRing.build([relay(1), relay(2), notHsDir], times);
  const got = ring.responsible(blinded, { params: hsDirParams(), purpose: "store" });
  assert.deepEqual(got.map((r) => r.nickname).sort(), ["relay1", "relay2"]);

  const excluded: [string, TestRelay][] = [
    ["no HSDir flag", notHsDir],
    ["no pr line", relay(4, { protocols: undefined })],
    ["pr without HSDir=2", relay(5, { protocols: new Map([["HSDir", new Set([1])]]) })],
    ["v line older than 0.3.0.8", relay(6, { version: "Tor 0.3.0.7" })],
    ["no ed25519 identity", relay(7, { ed25519Id: undefined })],
  ];
  for (const [why, r] of excluded) assert.equal(isV3HsDir(r), false, why);
  assert.ok(isV3HsDir(relay(8, { version: undefined, flags: ["HSDir"] })));
  assert.ok(isV3HsDir(relay(9, { version: "Arti 1.2.0" })));
  const mixed = HsDirRing.build([...excluded.map(([, r]) => r), relay(10)], times);
  assert.equal(mixed.size, 1);
});

Deno.test("responsible() uses the consensus spreads, for storing and fetching", () => {
  const relays = Array.from({ length: 50 }, (_, i) => relay(i + 1));
  const period = new TimePeriod(20000);
  const times = { period, srv: SharedRandomValue.fromBytes(new Uint8Array(32).fill(7)) };
  const ring = HsDirRing.build(relays, times);
  const blinded = HsBlindIdKey.fromBytes(new Uint8Array(32).fill(5));
  const cases: [HsDirParams, "store" | "fetch", number][] = [
    [hsDirParams(), "store", 8],
    [hsDirParams(), "fetch", 6],
    [hsDirParams(new Map([["hsdir_spread_store", 3]])), "store", 6],
    [hsDirParams(new Map([["hsdir_n_replicas", 3], ["hsdir_spread_store", 5]])), "store", 15],
  ];
  for (const [params, purpose, n] of cases) {
    const got = ring.responsible(blinded, { params, purpose });
    assert.equal(got.length, n);
    assert.equal(new Set(got).size, n);
    assert.deepEqual(got, referenceResponsible(relays, times, blinded, params, purpose));
  }
  // The first relays of the fetch list are the first relays of the store list, per replica.
  const store = ring.responsible(blinded, { params: hsDirParams(), purpose: "store" });
  const fetch = ring.responsible(blinded, { params: hsDirParams(), purpose: "fetch" });
  assert.deepEqual(fetch.slice(0, 3), store.slice(0, 3));
});

Deno.test("a ring smaller than n_replicas × spread gives each relay once (tor's stop rule)", () => {
  const period = new TimePeriod(20000);
  const times = { period, srv: disasterSrv(period) };
  const blinded = HsBlindIdKey.fromBytes(new Uint8Array(32).fill(5));
  for (const n of [0, 1, 3, 4, 5, 7]) {
    const relays = Array.from({ length: n }, (_, i) => relay(i + 1));
    const ring = HsDirRing.build(relays, times);
    const got = ring.responsible(blinded, { params: hsDirParams(), purpose: "store" });
    assert.equal(got.length, n, `${n} relays`);
    assert.deepEqual(got, referenceResponsible(relays, times, blinded, hsDirParams(), "store"));
  }
});

Deno.test("HsDirRing.build() sorts by hsdir_index and ignores a repeated relay object", () => {
  const relays = Array.from({ length: 20 }, (_, i) => relay(i + 1));
  const period = new TimePeriod(20000);
  const ring = HsDirRing.build([...relays, relays[0]!], { period, srv: disasterSrv(period) });
  assert.equal(ring.size, 20);
  const entries = ring.entries();
  for (let i = 1; i < entries.length; i++) {
    assert.ok(entries[i - 1]!.index.compare(entries[i]!.index) < 0);
  }
  assert.ok(ring.period.equals(period));
});
