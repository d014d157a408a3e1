import assert from "node:assert/strict";
import { periodChangeRace, racedAtBoundaries } from "../../scripts/bench/client_trace.ts";

const ADDRESS = "72fe2yjxiazdihhp5wiavoerikzw4h4lwqywsv7ev6g4wxszgtebzyqd";
const START = Date.parse("2026-12-06T15:22:00Z");
const AT = START + 8_705;

/** The client's events around a request lost at a period boundary (shortened from a real run). */
const RACE = [
  `2026-12-06T15:22:08.707Z STREAM 388 NEW 0 ${ADDRESS}.onion:80 SOURCE_ADDR=127.0.0.1:39332`,
  `2026-12-06T15:22:08.707Z CIRC 673 LAUNCHED PURPOSE=HS_CLIENT_INTRO HS_STATE=HSCI_CONNECTING`,
  `2026-12-06T15:22:08.785Z CIRC 673 BUILT PURPOSE=HS_CLIENT_INTRO REND_QUERY=${ADDRESS}`,
  `2026-12-06T15:22:08.785Z HS_DESC REQUESTED ${ADDRESS} NO_AUTH $2CAC~relay0 /BVEdxiiPoZO4mI3T`,
  `2026-12-06T15:22:09.837Z HS_DESC RECEIVED ${ADDRESS} NO_AUTH $2CAC~relay0 /BVEdxiiPoZO4mI3T`,
  `2026-12-06T15:22:09.837Z STREAM 388 FAILED 0 ${ADDRESS}.onion:80 REASON=CANT_ATTACH`,
  `2026-12-06T15:22:09.837Z CIRC 673 CLOSED PURPOSE=HS_CLIENT_INTRO REASON=FINISHED`,
];

Deno.test("periodChangeRace() recognises a request lost to the client's descriptor expiry at a period start", () => {
  assert.equal(periodChangeRace(RACE, `${ADDRESS}.onion`, AT, [START]), true);
  assert.equal(periodChangeRace(RACE, ADDRESS, AT, [START - 240_000, START]), true);
});

Deno.test("periodChangeRace() does not excuse other failures", () => {
  // Far from a period start.
  assert.equal(periodChangeRace(RACE, ADDRESS, AT, [START - 240_000]), false);
  assert.equal(periodChangeRace(RACE, ADDRESS, AT, [START + 240_000]), false);
  // Another service's events.
  assert.equal(periodChangeRace(RACE, "a".repeat(56), AT, [START]), false);
  // No descriptor fetch: the stream failed for another reason.
  const noFetch = RACE.filter((e) => !e.includes("HS_DESC REQUESTED"));
  assert.equal(periodChangeRace(noFetch, ADDRESS, AT, [START]), false);
  // Another failure reason (the rendezvous circuit destroyed, an intro point refusing).
  const destroyed = RACE.map((e) => e.replace("REASON=CANT_ATTACH", "REASON=DESTROY"));
  assert.equal(periodChangeRace(destroyed, ADDRESS, AT, [START]), false);
  // The failure before the fetch.
  const before = [RACE[0]!, RACE[5]!, RACE[3]!];
  assert.equal(periodChangeRace(before, ADDRESS, AT, [START]), false);
});

Deno.test("racedAtBoundaries() excuses the first race at each boundary, and nothing else", () => {
  const next = START + 240_000;
  const requests = [
    { at: AT + 500, ok: false, events: RACE }, // a second race at the same boundary: not excused
    { at: AT, ok: false, events: RACE },
    { at: AT + 1_000, ok: false, events: RACE.slice(0, 3) }, // no refetch: another failure
    { at: AT + 2_000, ok: true, events: RACE }, // succeeded: nothing to excuse
    { at: next + 8_705, ok: false, events: RACE }, // the next boundary's first
  ];
  const raced = racedAtBoundaries(requests, (r) => r.events, ADDRESS, [START, next]);
  assert.deepEqual([...raced].map((r) => r.at), [AT, next + 8_705]);
});
