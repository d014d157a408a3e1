import assert from "node:assert/strict";
import { formatStatus } from "../../src/cli/status_format.ts";
import { SAMPLE, T } from "./_status_sample.ts";

/** SAMPLE's service with `extra` keys. */
function withService(extra: Record<string, unknown>) {
  const service = (SAMPLE as { services: Record<string, unknown>[] }).services[0]!;
  return { ...SAMPLE, services: [{ ...service, ...extra }] };
}

Deno.test("formatStatus() says whether the end-to-end probe reached the frontend", () => {
  const yes = formatStatus(withService({
    reachability: {
      reachable: true,
      lastProbe: T,
      durationMs: 1234,
      lastReachable: T,
      consecutiveFailures: 0,
      error: null,
    },
  }));
  assert.ok(
    yes.includes(
      `\n  Last successful publish: ${T}\n  Reachable: yes (probe ${T}, 1.2 s)\n`,
    ),
    yes,
  );
  const no = formatStatus(withService({
    reachability: {
      reachable: false,
      lastProbe: T,
      durationMs: 20_000,
      lastReachable: "2030-01-01 12:00:00",
      consecutiveFailures: 3,
      error: "introduction failed",
    },
  }));
  assert.ok(
    no.includes(
      `\n  Reachable: NO (probe ${T}, 3 failed in a row; last reachable 2030-01-01 12:00:00): ` +
        "introduction failed\n",
    ),
    no,
  );
  const never = formatStatus(withService({
    reachability: {
      reachable: false,
      lastProbe: T,
      durationMs: 30_000,
      lastReachable: null,
      consecutiveFailures: 1,
      error: "timed out",
    },
  }));
  assert.match(
    never,
    /\n {2}Reachable: NO \(probe .*, 1 failed in a row; last reachable -\): timed out\n/,
  );
  // Probes off (null), or an older daemon (no key): no line.
  assert.ok(!formatStatus(withService({ reachability: null })).includes("Reachable"));
  assert.ok(!formatStatus(SAMPLE).includes("Reachable"));
});

const A1 = "5E05CC7A7327EBEDC1D1F5F30540A88BC18D8DCE";
const A2 = "59405A9CA0CA255313F560DA3555624285C9DDA4";
const A3 = "0E91F4A5B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6";

Deno.test("formatStatus() shows the last audit's counts and the copies that are not current", () => {
  const current = (fingerprint: string, nickname: string) => ({
    fingerprint,
    nickname,
    state: "current",
    revisionCounter: "4372567423",
    detail: null,
    reuploaded: false,
  });
  const text = formatStatus(withService({
    audit: {
      at: T,
      descriptor: "first",
      timePeriod: 21914,
      revisionCounter: "4372567423",
      counts: { current: 1, missing: 1, stale: 0, foreign: 1, undecryptable: 0, unanswered: 0 },
      hsDirs: [
        current(A3, "relay3"),
        {
          fingerprint: A1,
          nickname: "relay12",
          state: "missing",
          revisionCounter: null,
          detail: "the HSDir has none",
          reuploaded: true,
        },
        {
          fingerprint: A2,
          nickname: "relay26",
          state: "foreign",
          revisionCounter: "4372569999",
          detail: "revision 4372569999, above ours (4372567423); 0 of its 3 intro points are " +
            "this service's backends'",
          reuploaded: false,
        },
      ],
    },
  }));
  const block = `
  HSDir copies of the first descriptor (audit ${T}, revision 4372567423): 1 current, 1 missing, 1 foreign; uploaded again to 1
    HSDIR                                     NICKNAME  STATE                     REVISION    DETAIL
    ${A1}  relay12   missing (uploaded again)  -           the HSDir has none
    ${A2}  relay26   foreign                   4372569999  revision 4372569999, above ours (4372567423); 0 of its 3 intro points are this service's backends'

  Backends (2):
`;
  assert.ok(text.includes(block), text);
  assert.ok(!text.includes(A3), "a current copy has no row");

  // Every copy current: the summary alone.
  const calm = formatStatus(withService({
    audit: {
      at: T,
      descriptor: "second",
      timePeriod: 21915,
      revisionCounter: "17",
      counts: { current: 2, missing: 0, stale: 0, foreign: 0, undecryptable: 0, unanswered: 0 },
      hsDirs: [current(A1, "relay12"), current(A2, "relay26")],
    },
  }));
  assert.ok(
    calm.includes(
      `\n  HSDir copies of the second descriptor (audit ${T}, revision 17): 2 current\n\n  Backends`,
    ),
    calm,
  );
  assert.ok(!formatStatus(withService({ audit: null })).includes("HSDir copies"));
  assert.ok(!formatStatus(SAMPLE).includes("HSDir copies"));
});
