import assert from "node:assert/strict";
import { type ExpectedCopy, judgeCopy } from "../../src/balancer/audit_copy.ts";
import { introPointId } from "../../src/balancer/mod.ts";
import type { HsFetchOutcome } from "../../src/control/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { blindPublicKey, type HsIdKeypair } from "../../src/keys/mod.ts";
import {
  buildHsDesc,
  decodeHsDesc,
  HsClientDescEncKeypair,
  type IntroPointSource,
} from "../../src/netdoc/mod.ts";
import type { TimePeriod } from "../../src/time/mod.ts";
import {
  expiryAfter,
  frontendKey,
  introLabels,
  introPoint,
  networkView,
  VALID_AFTER,
} from "./_fixtures.ts";

const NOW = (VALID_AFTER + 300) * 1000;
const WHEN = new Date(NOW);
const IDENTITY = frontendKey("audit copy");
const PERIOD = networkView().timeline.fetch().period;
const HSDIR = "AB".repeat(20);
/** Four intro points of the frontend's backends; the balancer published the first three. */
const POINTS = introLabels("audit copy", 4).map((l) => introPoint(l, expiryAfter(NOW / 1000)));
const STRANGER = introPoint("audit copy stranger", expiryAfter(NOW / 1000));

/** A descriptor of the frontend built by the project's builder (tor's layout). */
async function build(
  revision: bigint,
  points: readonly IntroPointSource[],
  options: {
    seed?: string;
    period?: TimePeriod;
    identity?: HsIdKeypair;
    clients?: HsClientDescEncKeypair[];
  } = {},
): Promise<string> {
  const built = await buildHsDesc({
    identity: options.identity ?? IDENTITY,
    period: options.period ?? PERIOD,
    revisionCounter: revision,
    now: WHEN,
    introPoints: points,
    authorizedClients: options.clients?.map((c) => c.public),
  }, { rng: seededRng(`audit copy ${revision} ${options.seed ?? ""}`) });
  return built.text;
}

const OURS = await build(100n, POINTS.slice(0, 3));
/** The ids of all four backend intro points. */
const BACKEND_POINTS = new Set(
  (await decodeHsDesc(await build(1n, POINTS), {
    identity: IDENTITY.public,
    periods: [PERIOD],
    now: WHEN,
  })).inner.introPoints.map(introPointId),
);

function expected(changes: Partial<ExpectedCopy> = {}): ExpectedCopy {
  return {
    text: OURS,
    revision: 100n,
    identity: IDENTITY.public,
    blinded: blindPublicKey(IDENTITY.public, PERIOD),
    period: PERIOD,
    clientAuth: false,
    backendIntroPoints: BACKEND_POINTS,
    ...changes,
  };
}

const got = (descriptor: string): HsFetchOutcome => ({
  hsDir: HSDIR,
  ok: true,
  descriptor,
  descriptorId: "x".repeat(43),
});
const failed = (reason: string): HsFetchOutcome => ({ hsDir: HSDIR, ok: false, reason });

Deno.test("judgeCopy() finds the uploaded text current, line ends and final newlines aside", async () => {
  assert.equal(BACKEND_POINTS.size, 4);
  const variants = [
    OURS,
    `${OURS}\n`,
    OURS.replace(/\n+$/, ""),
    OURS.replace(/\n/g, "\r\n"),
    `${OURS.replace(/\n/g, "\r\n")}\r\n`,
  ];
  for (const text of variants) {
    assert.deepEqual(await judgeCopy(got(text), expected(), WHEN), {
      state: "current",
      revision: 100n,
    });
  }
});

Deno.test("judgeCopy() maps a failed fetch: NOT_FOUND missing, BAD_DESC undecryptable, others unanswered", async () => {
  assert.deepEqual(await judgeCopy(failed("NOT_FOUND"), expected(), WHEN), {
    state: "missing",
    detail: "the HSDir has none",
  });
  const bad = await judgeCopy(failed("BAD_DESC"), expected(), WHEN);
  assert.equal(bad.state, "undecryptable");
  assert.match(bad.detail!, /BAD_DESC/);
  assert.equal(bad.revision, undefined);
  for (const reason of ["TIMEOUT", "QUERY_RATE_LIMITED", "UNEXPECTED", "EMPTY"]) {
    assert.deepEqual(await judgeCopy(failed(reason), expected(), WHEN), {
      state: "unanswered",
      detail: reason,
    });
  }
});

Deno.test("judgeCopy() finds a valid copy with a lower revision counter stale", async () => {
  const older = await build(99n, POINTS.slice(0, 3));
  assert.deepEqual(await judgeCopy(got(older), expected(), WHEN), {
    state: "stale",
    revision: 99n,
    detail: "revision 99, ours is 100",
  });
  // Older and listing other intro points: still just an older copy of ours to replace.
  const other = await build(7n, [STRANGER]);
  assert.equal((await judgeCopy(got(other), expected(), WHEN)).state, "stale");
});

Deno.test("judgeCopy() finds a higher revision foreign and counts the backends' intro points in it", async () => {
  const theirs = await build(150n, [POINTS[0]!, POINTS[3]!, STRANGER]);
  assert.deepEqual(await judgeCopy(got(theirs), expected(), WHEN), {
    state: "foreign",
    revision: 150n,
    detail: "revision 150, above ours (100); 2 of its 3 intro points are this service's backends'",
  });
  const unknown = await judgeCopy(got(theirs), expected({ backendIntroPoints: new Set() }), WHEN);
  assert.equal(unknown.state, "foreign");
  assert.match(unknown.detail!, /; 0 of its 3 intro points are this service's backends'$/);
});

Deno.test("judgeCopy() finds the same revision with other text foreign", async () => {
  // The same intro points and revision, signed again (another signing key and salt).
  const again = await build(100n, POINTS.slice(0, 3), { seed: "another manager" });
  assert.notEqual(again, OURS);
  assert.deepEqual(await judgeCopy(got(again), expected(), WHEN), {
    state: "foreign",
    revision: 100n,
    detail: "the same revision as ours (100) and other contents; " +
      "3 of its 3 intro points are this service's backends'",
  });
});

Deno.test("judgeCopy() finds a descriptor whose signature does not verify undecryptable", async () => {
  // A higher revision written over ours without signing again.
  const forged = OURS.replace(/^revision-counter 100$/m, "revision-counter 150");
  assert.notEqual(forged, OURS);
  const verdict = await judgeCopy(got(forged), expected(), WHEN);
  assert.equal(verdict.state, "undecryptable");
  assert.equal(verdict.revision, undefined);
  assert.match(verdict.detail!, /outer-verify.*signature/);
  // A broken signature itself (a character well inside its base64).
  const lines = OURS.replace(/\n$/, "").split("\n");
  const last = lines.at(-1)!;
  assert.match(last, /^signature /);
  lines[lines.length - 1] = last.slice(0, -3) + (last.at(-3) === "A" ? "B" : "A") + last.slice(-2);
  const broken = await judgeCopy(got(`${lines.join("\n")}\n`), expected(), WHEN);
  assert.equal(broken.state, "undecryptable");
  assert.match(broken.detail!, /outer-verify.*signature/);
  assert.equal(
    (await judgeCopy(got("not a descriptor\n"), expected(), WHEN)).state,
    "undecryptable",
  );
});

Deno.test("judgeCopy() finds a descriptor of another period or another key undecryptable", async () => {
  const next = await build(150n, POINTS.slice(0, 3), { period: PERIOD.next() });
  const verdict = await judgeCopy(got(next), expected(), WHEN);
  assert.deepEqual(verdict, {
    state: "undecryptable",
    detail: `it is not for this address in ${PERIOD}`,
  });
  const stranger = await build(150n, POINTS.slice(0, 3), { identity: frontendKey("stranger") });
  assert.equal((await judgeCopy(got(stranger), expected(), WHEN)).state, "undecryptable");
});

Deno.test("judgeCopy() tells a client-authorized foreign descriptor by the service's own setting", async () => {
  const client = HsClientDescEncKeypair.generate(seededRng("audit copy client"));
  const restricted = await build(150n, POINTS.slice(0, 3), { clients: [client] });
  // The frontend encrypts to clients too: the copy is someone else's restricted descriptor.
  assert.deepEqual(await judgeCopy(got(restricted), expected({ clientAuth: true }), WHEN), {
    state: "foreign",
    revision: 150n,
    detail: "revision 150, above ours (100); its intro points are for clients only",
  });
  // A public frontend: clients without a key cannot use that copy.
  const open = await judgeCopy(got(restricted), expected(), WHEN);
  assert.equal(open.state, "undecryptable");
  assert.equal(open.revision, 150n);
  assert.match(open.detail!, /^revision 150, above ours \(100\); .*client/);
});
