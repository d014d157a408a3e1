import assert from "node:assert/strict";
import { TimePeriod } from "../../src/time/mod.ts";
import { readJsonVector, unixTime, vectorTest } from "../_vectors.ts";

interface TorTimeVectors {
  "time_period": {
    cases: { time: string; period_num: number; next_period_num?: number; start_of_next?: string }[];
  };
  "start_time_of_next_time_period": {
    cases: { time: string; voting_interval: number; testing: boolean; start_of_next: string }[];
  };
}

vectorTest("TimePeriod.containing() matches tor's test_time_period", async () => {
  const v = await readJsonVector<TorTimeVectors>("c_tor/test_hs_common.json");
  for (const c of v.time_period.cases) {
    const period = TimePeriod.containing(unixTime(c.time));
    assert.equal(period.number, c.period_num, c.time);
    assert.ok(period.contains(unixTime(c.time)));
    if (c.next_period_num !== undefined) assert.equal(period.next().number, c.next_period_num);
    if (c.start_of_next !== undefined) assert.equal(period.end(), unixTime(c.start_of_next));
    // The period number at the start of the next period is the next number.
    assert.equal(TimePeriod.containing(period.end()).number, period.number + 1);
  }
});

vectorTest(
  "TimePeriod start of the next period matches tor, including a testing network",
  async () => {
    const v = await readJsonVector<TorTimeVectors>("c_tor/test_hs_common.json");
    for (const c of v.start_time_of_next_time_period.cases) {
      // 24 × interval / 60 minutes long, 12 × interval seconds offset (get_time_period_length).
      const schedule = c.testing
        ? {
          lengthMinutes: (24 * c.voting_interval) / 60,
          rotationOffsetSeconds: 12 * c.voting_interval,
        }
        : {};
      const period = TimePeriod.containing(unixTime(c.time), schedule);
      assert.equal(period.next().start(), unixTime(c.start_of_next), c.time);
    }
  },
);

Deno.test("TimePeriod.containing() matches rend-spec [TIME-PERIODS] and the vectors", () => {
  // rend-spec [TIME-PERIODS]: 2016-04-13 11:15:01 UTC is in TP 16903, which began
  // 2016-04-12 12:00 UTC and ended 2016-04-13 12:00 UTC.
  const p = TimePeriod.containing(1460546101);
  assert.equal(p.number, 16903);
  assert.equal(p.start(), Date.UTC(2016, 3, 12, 12) / 1000);
  assert.equal(p.end(), Date.UTC(2016, 3, 13, 12) / 1000);
  assert.equal(TimePeriod.containing(106710633).number, 1234); // 1973-05-20, test_blinding_basics
  assert.equal(TimePeriod.containing(1893502800).number, 21915); // 2030-01-01 13:00, A12 vector
  assert.equal(TimePeriod.containing(10101010101).number, 116909); // OnionBalance's ring test
});

Deno.test("TimePeriod boundaries: start is in, end is out", () => {
  const p = new TimePeriod(20000);
  assert.ok(p.contains(p.start()));
  assert.ok(p.contains(p.end() - 1));
  assert.equal(p.contains(p.end()), false);
  assert.equal(p.contains(p.start() - 1), false);
  assert.ok(p.next().previous().equals(p));
  assert.equal(p.equals(new TimePeriod(20000, 1440, 240)), false);
  assert.equal(String(p), "TP 20000/1440m");
});

Deno.test("TimePeriod rejects bad numbers, lengths, offsets and times", () => {
  assert.throws(() => new TimePeriod(-1), RangeError);
  assert.throws(() => new TimePeriod(1.5), RangeError);
  assert.throws(() => new TimePeriod(1, 0), RangeError);
  assert.throws(() => new TimePeriod(1, 1440, -1), RangeError);
  assert.throws(() => new TimePeriod(0).previous(), RangeError);
  assert.throws(() => TimePeriod.containing(60), RangeError); // before the first period (tor asserts)
  assert.throws(() => TimePeriod.containing(Number.NaN), RangeError);
});

Deno.test("TimePeriod.key names a period by number and length, the same for equal periods", () => {
  const a = new TimePeriod(19397, 1440);
  assert.equal(a.key, "19397/1440");
  assert.equal(new TimePeriod(19397, 1440).key, a.key);
  assert.notEqual(a.next().key, a.key);
  assert.notEqual(new TimePeriod(19397, 8).key, a.key);
});
