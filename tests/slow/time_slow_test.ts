/**
 * Property tests for time periods and the (TP, SRV) choices of `HsTimeline`
 * on random consensus times, live and testing networks.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { HsTimeline, SharedRandomValue, TimePeriod } from "../../src/time/mod.ts";

const time = fc.integer({ min: 86_400 * 2, max: 2 ** 40 });

Deno.test("TimePeriod.containing(t) contains t, and its neighbours do not", () => {
  fc.assert(
    fc.property(
      time,
      fc.integer({ min: 30, max: 14400 }),
      fc.integer({ min: 1, max: 3600 }),
      (t, length, vi) => {
        const schedule = { lengthMinutes: length, rotationOffsetSeconds: 12 * vi };
        const p = TimePeriod.containing(t, schedule);
        // Tor truncates the offset to whole minutes for the number (a quirk), so compare on
        // offsets that are whole minutes.
        if ((12 * vi) % 60 === 0) {
          assert.ok(p.contains(t));
          assert.equal(p.next().contains(t), false);
          if (p.number > 0) assert.equal(p.previous().contains(t), false);
          if (p.number > 0) {
            assert.equal(
              TimePeriod.containing(p.start(), schedule).number,
              p.number,
            );
          }
        }
        assert.equal(p.end() - p.start(), length * 60);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("HsTimeline: the fetch pair is always one of the two descriptor pairs", () => {
  const srv = (n: number) => SharedRandomValue.fromBytes(new Uint8Array(32).fill(n));
  fc.assert(
    fc.property(
      time,
      fc.constantFrom(3600, 1800, 20, 10, 300),
      fc.boolean(),
      fc.boolean(),
      (t, vi, testing, withSrv) => {
        const validAfter = t - (t % vi); // valid-after is on the voting schedule
        const timeline = HsTimeline.fromConsensus({
          validAfter,
          freshUntil: validAfter + vi,
          validUntil: validAfter + 3 * vi,
          isTestingNetwork: testing,
          srvCurrent: withSrv ? srv(1) : undefined,
          srvPrevious: withSrv ? srv(2) : undefined,
        });
        const fetch = timeline.fetch();
        assert.ok(fetch.period.contains(validAfter) || (vi * 12) % 60 !== 0);
        const first = timeline.descriptor("first");
        const second = timeline.descriptor("second");
        assert.equal(second.period.number - first.period.number, 1);
        assert.ok(
          [first, second].some((d) => d.period.equals(fetch.period) && d.srv.equals(fetch.srv)),
        );
        assert.ok(
          timeline.srvRunStart <= validAfter && validAfter < timeline.srvRunStart + 24 * vi,
        );
        assert.equal(first.srvRunStart, timeline.srvRunStart - 24 * vi);
      },
    ),
    { numRuns: 2000 },
  );
});
