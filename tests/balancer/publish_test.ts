import assert from "node:assert/strict";
import {
  type IntroPointId,
  type PublishedSlot,
  publishReason,
  type Relay,
  relayOf,
  sameGroups,
} from "../../src/balancer/mod.ts";
import { fromHex } from "../../src/bytes/mod.ts";
import { type HsDescIntroPoint, type LinkSpecifier, LinkSpecifiers } from "../../src/netdoc/mod.ts";
import { type DescriptorTimes, SharedRandomValue } from "../../src/time/mod.ts";
import { networkView, VALID_AFTER } from "./_fixtures.ts";

const NOW = (VALID_AFTER + 300) * 1000;
const VIEW = networkView();

/** Intro-point ids from plain names. */
function ids(groups: string[][]): IntroPointId[][] {
  return groups as IntroPointId[][];
}

/** A published slot for {@link publishReason} tests. */
function publishedSlot(
  times: DescriptorTimes,
  hsDirs: Relay[],
  groups: IntroPointId[][],
): PublishedSlot {
  return {
    times,
    groups,
    introPointCounts: groups.map((g) => g.length),
    introPointKeys: groups,
    sameRelay: groups.map(() => 0),
    sources: new Map(),
    descriptors: groups.map(() => "descriptor"),
    revisionCounter: 1n,
    builtAt: NOW,
    reason: "first publish",
    uploads: hsDirs.map((relay) => ({ relay, group: 0, status: "uploaded", attempts: 1 })),
  };
}

Deno.test("publishReason() names each reason to publish, or none", () => {
  const times = VIEW.timeline.descriptor("first");
  const hsDirs = VIEW.hsDirs.slice(0, 8);
  const groups = ids([["a", "b"], ["c", "d"]]);
  const previous = publishedSlot(times, hsDirs, groups);
  const desired = { times, hsDirs, groupIds: groups };
  const options = { republishIntervalMs: 3600_000 };
  assert.equal(publishReason(undefined, desired, NOW, options), "first publish");
  assert.equal(publishReason(previous, desired, NOW + 60_000, options), undefined);
  assert.equal(
    publishReason(previous, { ...desired, groupIds: ids([["d", "c"], ["b", "a"]]) }, NOW, options),
    undefined,
    "order within and between groups does not matter",
  );
  assert.equal(
    publishReason(
      previous,
      { ...desired, times: VIEW.timeline.descriptor("second") },
      NOW,
      options,
    ),
    "the time period changed",
  );
  const otherSrv = { ...times, srv: SharedRandomValue.fromBytes(new Uint8Array(32).fill(7)) };
  assert.equal(
    publishReason(previous, { ...desired, times: otherSrv }, NOW, options),
    "the shared random value changed",
  );
  assert.equal(
    publishReason(previous, { ...desired, hsDirs: VIEW.hsDirs.slice(1, 9) }, NOW, options),
    "the responsible HSDirs changed",
  );
  assert.equal(
    publishReason(previous, { ...desired, groupIds: ids([["a", "b"], ["c", "e"]]) }, NOW, options),
    "the intro points changed",
  );
  assert.equal(
    publishReason(previous, { ...desired, groupIds: ids([["a", "b", "c", "d"]]) }, NOW, options),
    "the intro points changed",
  );
  assert.equal(
    publishReason(previous, desired, NOW + 3600_000 - 1, options),
    undefined,
  );
  assert.equal(
    publishReason(previous, desired, NOW + 3600_000, options),
    "republish interval reached",
  );
});

Deno.test("sameGroups() ignores order within and between groups, not membership", () => {
  assert.equal(sameGroups(ids([["a", "b"], ["c"]]), ids([["c"], ["b", "a"]])), true);
  assert.equal(sameGroups(ids([["a", "b"], ["c"]]), ids([["a"], ["b", "c"]])), false);
  assert.equal(sameGroups(ids([["a", "b"]]), ids([["a", "b"], []])), false);
  assert.equal(sameGroups(ids([["a"], ["a"]]), ids([["a"], ["b"]])), false);
  assert.equal(sameGroups([], []), true);
});

Deno.test("relayOf() names an intro point's relay by its RSA id, else its ed25519 id", () => {
  /** relayOf() reads only the link specifiers. */
  const point = (specs: LinkSpecifier[]) =>
    ({ linkSpecifiers: LinkSpecifiers.encode(specs) }) as unknown as HsDescIntroPoint;
  const ipv4: LinkSpecifier = { kind: "ipv4", address: "192.0.2.7", port: 9001 };
  const ed: LinkSpecifier = { kind: "ed25519-id", ed25519Id: fromHex("ab".repeat(32)) };
  const rsa: LinkSpecifier = { kind: "legacy-id", rsaId: fromHex("cd".repeat(20)) };
  assert.equal(relayOf(point([ipv4, ed, rsa])), `rsa:${"cd".repeat(20)}`);
  assert.equal(relayOf(point([ipv4, ed])), `ed:${"ab".repeat(32)}`);
  assert.equal(relayOf(point([ipv4])), undefined);
});
