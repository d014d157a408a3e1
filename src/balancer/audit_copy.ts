/**
 * What one HSDir's copy of a frontend descriptor is, judged as a client would judge it and
 * against what this balancer uploaded there: the publish audit's verdict on one copy
 * (`audit.ts` fetches the copies and acts on the verdicts).
 *
 * Spec: rend-spec-v3 [DESC-OUTER] (revision counter, signing-key certificate, signature),
 * [HS-DESC-ENCRYPTION-KEYS] (both layers); control-spec HS_DESC `REASON=`; tor
 * `hs_client.c: client_dir_fetch_200()` and `hs_cache.c: cache_store_as_client()`. tor's client
 * emits `HS_DESC FAILED … REASON=BAD_DESC` with an empty `HS_DESC_CONTENT` when it cannot decode
 * a fetched descriptor (outer, middle or inner layer), and `NOT_FOUND` when the HSDir answered
 * 404. A copy older than one its cache already holds is still reported `RECEIVED` with its text
 * (the cache keeps the newer one), so a stale copy is seen as stale.
 *
 * @module
 */

import type { HsFetchOutcome } from "../control/mod.ts";
import type { HsBlindIdKey, HsIdKey } from "../keys/mod.ts";
import { decodeHsDesc, HsDescError, parseHsDescOuter } from "../netdoc/hsdesc/mod.ts";
import type { TimePeriod } from "../time/mod.ts";
import { type IntroPointId, introPointId } from "./backend.ts";

/**
 * What an HSDir holds for the clients' current period:
 * - `current`: the descriptor this balancer uploaded there last;
 * - `missing`: nothing (the HSDir answered 404: it restarted, or never took the upload);
 * - `stale`: a valid descriptor with a lower revision counter than ours (an older one);
 * - `foreign`: a valid descriptor this balancer did not make, with a higher revision counter
 *   (or the same one and other text): another manager of the same key, or whoever holds the
 *   key or an offline bundle of it;
 * - `undecryptable`: a descriptor clients cannot use (tor's client could not decode it, or it
 *   does not verify or decrypt here);
 * - `unanswered`: the fetch failed (timeout, connection) and says nothing about the copy.
 */
export type CopyState =
  | "current"
  | "missing"
  | "stale"
  | "foreign"
  | "undecryptable"
  | "unanswered";

/** Every {@link CopyState}, in the order the status and the metrics list them. */
export const COPY_STATES: readonly CopyState[] = [
  "current",
  "missing",
  "stale",
  "foreign",
  "undecryptable",
  "unanswered",
];

/** The verdict on one copy. */
export interface CopyVerdict {
  state: CopyState;
  /** The copy's revision counter, when it came and its outer layer parsed. */
  revision?: bigint;
  /** Why, in an operator's words (tor's reason, the decode error, whose intro points). */
  detail?: string;
}

/** What the copy is compared with. */
export interface ExpectedCopy {
  /** The descriptor text this balancer uploaded to that HSDir. */
  text: string;
  /** Its revision counter. */
  revision: bigint;
  /** The frontend's identity, and its blinded key and period the copy must be for. */
  identity: HsIdKey;
  blinded: HsBlindIdKey;
  period: TimePeriod;
  /** Whether the frontend's descriptors are encrypted to authorized clients. */
  clientAuth: boolean;
  /** The intro points of the frontend's backends, to say whose a foreign descriptor lists. */
  backendIntroPoints: ReadonlySet<IntroPointId>;
}

/**
 * Judges one HSDir's answer (see {@link CopyState}).
 *
 * @param outcome What `hsFetch` got from that HSDir.
 * @param expected What this balancer uploaded there.
 * @param now The time certificates are checked at.
 */
export async function judgeCopy(
  outcome: HsFetchOutcome,
  expected: ExpectedCopy,
  now: Date,
): Promise<CopyVerdict> {
  if (!outcome.ok) {
    if (outcome.reason === "NOT_FOUND") return { state: "missing", detail: "the HSDir has none" };
    if (outcome.reason === "BAD_DESC") {
      return { state: "undecryptable", detail: "tor's client could not decode it (BAD_DESC)" };
    }
    return { state: "unanswered", detail: outcome.reason };
  }
  if (sameText(outcome.descriptor, expected.text)) {
    return { state: "current", revision: expected.revision };
  }
  let revision: bigint;
  try {
    const unchecked = parseHsDescOuter(outcome.descriptor);
    if (!unchecked.claimedBlindedKey.equals(expected.blinded)) {
      return { state: "undecryptable", detail: `it is not for this address in ${expected.period}` };
    }
    revision = unchecked.check({ blindedKey: expected.blinded, now }).revisionCounter;
  } catch (error) {
    return { state: "undecryptable", detail: describe(error) };
  }
  if (revision < expected.revision) {
    return {
      state: "stale",
      revision,
      detail: `revision ${revision}, ours is ${expected.revision}`,
    };
  }
  const rank = revision === expected.revision
    ? `the same revision as ours (${revision}) and other contents`
    : `revision ${revision}, above ours (${expected.revision})`;
  try {
    const desc = await decodeHsDesc(outcome.descriptor, {
      identity: expected.identity,
      periods: [expected.period],
      now,
    });
    const points = desc.inner.introPoints;
    const known = points.filter((p) => expected.backendIntroPoints.has(introPointId(p))).length;
    return {
      state: "foreign",
      revision,
      detail: `${rank}; ${known} of its ${points.length} intro points are this service's backends'`,
    };
  } catch (error) {
    if (error instanceof HsDescError && error.kind === "NeedsClientAuth" && expected.clientAuth) {
      return {
        state: "foreign",
        revision,
        detail: `${rank}; its intro points are for clients only`,
      };
    }
    return { state: "undecryptable", revision, detail: `${rank}; ${describe(error)}` };
  }
}

/** Descriptor texts compared as tor serves them (line ends and a final newline aside). */
function sameText(a: string, b: string): boolean {
  const norm = (t: string) => t.replace(/\r\n/g, "\n").replace(/\n+$/, "");
  return norm(a) === norm(b);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
