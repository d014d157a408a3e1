import assert from "node:assert/strict";
import {
  consensusParam,
  type ConsensusTimes,
  disasterSrv,
  HSDIR_INTERVAL,
  HsTimeline,
  isReasonablyLive,
  periodLengthMinutes,
  SharedRandomValue,
  TimePeriod,
  votingIntervalSeconds,
} from "../../src/time/mod.ts";
import { readJsonVector, unixTime, vectorTest } from "../_vectors.ts";

const SRV_CURRENT = SharedRandomValue.fromBytes(new Uint8Array(32).fill(0x29));
const SRV_PREVIOUS = SharedRandomValue.fromBytes(new Uint8Array(32).fill(0x2a));
const HOUR = 3600;

/** A live-network consensus (1-hour voting interval) with both SRVs. */
function consensusAt(validAfter: number, extra: Partial<ConsensusTimes> = {}): ConsensusTimes {
  return {
    validAfter,
    freshUntil: validAfter + HOUR,
    validUntil: validAfter + 3 * HOUR,
    srvCurrent: SRV_CURRENT,
    srvPrevious: SRV_PREVIOUS,
    ...extra,
  };
}

vectorTest("HsTimeline.inTpToSrv matches tor's test_time_between_tp_and_srv", async () => {
  const { time_between_tp_and_srv: v } = await readJsonVector<{
    time_between_tp_and_srv: {
      cases: { valid_after: string; fresh_until: string; in_tp_to_srv: boolean }[];
    };
  }>("c_tor/test_hs_common.json");
  for (const c of v.cases) {
    const validAfter = unixTime(c.valid_after);
    const t = HsTimeline.fromConsensus({
      validAfter,
      freshUntil: unixTime(c.fresh_until),
      validUntil: validAfter + 3 * HOUR,
    });
    assert.equal(t.inTpToSrv, c.in_tp_to_srv, c.valid_after);
  }
});

Deno.test("descriptor() and fetch() follow [CLIENTFETCH], [FIRSTDESCUPLOAD], [SECONDDESCUPLOAD]", () => {
  // The four positions of tor's helper_set_consensus_and_system_time (TP 16904 starts
  // 2016-04-13 12:00 UTC; SR runs start at 00:00 UTC).
  const cases = [
    {
      at: "2016-04-13 11:00:00",
      tp: 16903,
      between: false,
      fetch: [16903, "prev"],
      first: [16903, "prev"],
      second: [16904, "cur"],
    },
    {
      at: "2016-04-13 13:00:00",
      tp: 16904,
      between: true,
      fetch: [16904, "cur"],
      first: [16903, "prev"],
      second: [16904, "cur"],
    },
    {
      at: "2016-04-13 23:00:00",
      tp: 16904,
      between: true,
      fetch: [16904, "cur"],
      first: [16903, "prev"],
      second: [16904, "cur"],
    },
    {
      at: "2016-04-14 01:00:00",
      tp: 16904,
      between: false,
      fetch: [16904, "prev"],
      first: [16904, "prev"],
      second: [16905, "cur"],
    },
  ] as const;
  const srvOf = { cur: SRV_CURRENT, prev: SRV_PREVIOUS };
  for (const c of cases) {
    const t = HsTimeline.fromConsensus(consensusAt(unixTime(c.at)));
    assert.equal(t.currentPeriod.number, c.tp, c.at);
    assert.equal(t.inTpToSrv, c.between, c.at);
    const check = (
      got: { period: TimePeriod; srv: SharedRandomValue },
      [tp, srv]: readonly [number, "cur" | "prev"],
      what: string,
    ) => {
      assert.equal(got.period.number, tp, `${c.at} ${what} TP`);
      assert.ok(got.srv.equals(srvOf[srv]), `${c.at} ${what} SRV`);
    };
    check(t.fetch(), c.fetch, "fetch");
    check(t.descriptor("first"), c.first, "first");
    check(t.descriptor("second"), c.second, "second");
    // One of the two store pairs is always the fetch pair, so every client finds a descriptor.
    const fetch = t.fetch();
    assert.ok(
      (["first", "second"] as const).some((slot) => {
        const d = t.descriptor(slot);
        return d.period.equals(fetch.period) && d.srv.equals(fetch.srv);
      }),
    );
  }
});

Deno.test("SR run starts: current at 00:00 UTC, previous a day earlier (OnionBalance's docstring example)", () => {
  // valid-after 2017-06-23 23:00:00 → current run started 2017-06-23 00:00:00.
  const t = HsTimeline.fromConsensus(consensusAt(Date.UTC(2017, 5, 23, 23) / 1000));
  assert.equal(t.srvRunStart, Date.UTC(2017, 5, 23) / 1000);
  assert.equal(t.previousSrvRunStart, Date.UTC(2017, 5, 22) / 1000);
  assert.equal(t.descriptor("first").srvRunStart, t.previousSrvRunStart);
  assert.equal(t.descriptor("second").srvRunStart, t.srvRunStart);
  // At exactly 00:00 the new run starts.
  const midnight = HsTimeline.fromConsensus(consensusAt(Date.UTC(2017, 5, 24) / 1000));
  assert.equal(midnight.srvRunStart, Date.UTC(2017, 5, 24) / 1000);
});

Deno.test("missing SRVs fall back to the disaster SRV of the period that wants them", () => {
  const at = unixTime("2016-04-13 13:00:00");
  const t = HsTimeline.fromConsensus(
    consensusAt(at, { srvCurrent: undefined, srvPrevious: undefined }),
  );
  const first = t.descriptor("first");
  const second = t.descriptor("second");
  assert.ok(first.srv.equals(disasterSrv(new TimePeriod(16903))));
  assert.ok(second.srv.equals(disasterSrv(new TimePeriod(16904))));
  assert.ok(t.fetch().srv.equals(disasterSrv(new TimePeriod(16904))));
  // Only the missing one is replaced.
  const half = HsTimeline.fromConsensus(consensusAt(at, { srvPrevious: undefined }));
  assert.ok(half.descriptor("second").srv.equals(SRV_CURRENT));
  assert.ok(half.descriptor("first").srv.equals(disasterSrv(new TimePeriod(16903))));
});

Deno.test("a testing network derives period length and offset from the voting interval", () => {
  // tor `hs_common.c: get_time_period_length, hs_get_time_period_num` with TestingTorNetwork:
  // 20 s votes → 8-minute periods (one SR run), 4-minute offset; hsdir_interval ignored.
  const validAfter = 1_700_000_020; // a multiple of 20
  const c = {
    validAfter,
    freshUntil: validAfter + 20,
    validUntil: validAfter + 40,
    params: new Map([["hsdir_interval", 60]]),
    isTestingNetwork: true,
  };
  const t = HsTimeline.fromConsensus(c);
  assert.equal(t.votingIntervalSeconds, 20);
  assert.equal(t.periodLengthMinutes, 8);
  assert.equal(t.rotationOffsetSeconds, 240);
  assert.equal(t.currentPeriod.lengthMinutes, 8);
  assert.ok(t.currentPeriod.contains(validAfter));
  assert.equal(t.srvRunStart % 480, 0);
  assert.ok(t.srvRunStart <= validAfter && validAfter < t.srvRunStart + 480);
  assert.equal(t.previousSrvRunStart, t.srvRunStart - 480);
  // The same consensus read as a live network uses the parameter instead.
  assert.equal(periodLengthMinutes({ ...c, isTestingNetwork: false }), 60);
});

Deno.test("hsdir_interval is read from the consensus with tor's default and range", () => {
  const p = (
    v?: number,
  ) => (v === undefined ? new Map<string, number>() : new Map([["hsdir_interval", v]]));
  assert.equal(consensusParam(undefined, HSDIR_INTERVAL), 1440);
  assert.equal(consensusParam(p(), HSDIR_INTERVAL), 1440);
  assert.equal(consensusParam(p(720), HSDIR_INTERVAL), 720);
  assert.equal(consensusParam(p(5), HSDIR_INTERVAL), 30);
  assert.equal(consensusParam(p(100000), HSDIR_INTERVAL), 14400);
  const t = HsTimeline.fromConsensus(consensusAt(1893502800, { params: p(720) }));
  assert.equal(t.currentPeriod.lengthMinutes, 720);
});

Deno.test("isReasonablyLive() allows 24 hours either side, as tor does", () => {
  const c = consensusAt(1_000_000_000);
  assert.ok(isReasonablyLive(c, c.validAfter - 86400));
  assert.equal(isReasonablyLive(c, c.validAfter - 86401), false);
  assert.ok(isReasonablyLive(c, c.validUntil + 86400));
  assert.equal(isReasonablyLive(c, c.validUntil + 86401), false);
});

Deno.test("HsTimeline refuses a consensus without a positive voting interval", () => {
  assert.throws(
    () => votingIntervalSeconds({ validAfter: 10, freshUntil: 10, validUntil: 20 }),
    RangeError,
  );
  assert.throws(
    () => HsTimeline.fromConsensus({ validAfter: 100000, freshUntil: 99999, validUntil: 100001 }),
    RangeError,
  );
  assert.throws(
    () =>
      periodLengthMinutes({
        validAfter: 1e9,
        freshUntil: 1e9 + 2,
        validUntil: 1e9 + 4,
        isTestingNetwork: true,
      }),
    RangeError,
  );
});
