/**
 * What a frontend publishes, as data: the record of a published slot, why a
 * slot must be published again, where each intro point came from, and which
 * HSDir gets which descriptor. `frontend.ts` does the building and uploading.
 *
 * Spec: rend-spec-v3 [WHERE-HSDESC] (the responsible HSDirs), [DESC-INNER]
 * (`introduction-point` and its link specifiers); tor `hs_service.c:
 * should_service_upload_descriptor()` (tor republishes on a changed intro-point set).
 *
 * @module
 */

import { toHex } from "../bytes/mod.ts";
import type { HsDescIntroPoint } from "../netdoc/hsdesc/mod.ts";
import type { DescriptorTimes } from "../time/mod.ts";
import { type Backend, type IntroPointId, introPointId } from "./backend.ts";
import type { Relay } from "./network.ts";
import { assignGroups } from "./selection.ts";
import type { HsDirUpload } from "./uploads.ts";

/** Where a published intro point came from. */
export interface IntroPointOrigin {
  /** The backend's address. */
  readonly backend: string;
  /** When the balancer first saw the intro point in that backend's descriptors (ms). */
  readonly seenAt: number;
}

/** What was last published for one slot. */
export interface PublishedSlot {
  /** Period and SRV it was built for. */
  readonly times: DescriptorTimes;
  /** Intro points per descriptor group, as planned (before any trimming for size). */
  readonly groups: readonly (readonly IntroPointId[])[];
  /** Intro points in each published descriptor. */
  readonly introPointCounts: readonly number[];
  /** The intro points in each published descriptor, as built. */
  readonly introPointKeys: readonly (readonly IntroPointId[])[];
  /** Per published descriptor: intro points left out because their relay carries another one. */
  readonly sameRelay: readonly number[];
  /** Per published intro point: its backend, and when the balancer first saw it. */
  readonly sources: ReadonlyMap<IntroPointId, IntroPointOrigin>;
  /** The descriptor text per group. */
  readonly descriptors: readonly string[];
  /** The revision counter written. */
  readonly revisionCounter: bigint;
  /** When it was built (ms). */
  readonly builtAt: number;
  /** Why it was published. */
  readonly reason: string;
  /** One entry per responsible HSDir. */
  readonly uploads: HsDirUpload[];
}

/** Why a slot must be published now, or undefined (see `frontend.ts`). */
export function publishReason(
  previous: PublishedSlot | undefined,
  desired: {
    times: DescriptorTimes;
    hsDirs: readonly Relay[];
    groupIds: readonly (readonly IntroPointId[])[];
  },
  nowMs: number,
  options: { republishIntervalMs: number },
): string | undefined {
  if (previous === undefined) return "first publish";
  if (!previous.times.period.equals(desired.times.period)) return "the time period changed";
  if (!previous.times.srv.equals(desired.times.srv)) return "the shared random value changed";
  const before = previous.uploads.map((u) => u.relay.fingerprint);
  const now = desired.hsDirs.map((r) => r.fingerprint);
  if (before.length !== now.length || before.some((f, i) => f !== now[i])) {
    return "the responsible HSDirs changed";
  }
  if (!sameGroups(previous.groups, desired.groupIds)) return "the intro points changed";
  if (nowMs - previous.builtAt >= options.republishIntervalMs) return "republish interval reached";
  return undefined;
}

/** Whether two plans put the same intro points together (order ignored, within and across groups). */
export function sameGroups(
  a: readonly (readonly IntroPointId[])[],
  b: readonly (readonly IntroPointId[])[],
): boolean {
  if (a.length !== b.length) return false;
  const unmatched = b.map((group) => new Set(group));
  return a.every((group) => {
    const ids = new Set(group);
    const i = unmatched.findIndex((u) => u.size === ids.size && [...ids].every((id) => u.has(id)));
    if (i < 0) return false;
    unmatched.splice(i, 1);
    return true;
  });
}

/** The backend of every intro point `usable` offers, and when it was first seen (ms). */
export function sourcesOf(
  usable: readonly Backend[],
  nowMs: number,
): Map<IntroPointId, IntroPointOrigin> {
  const sources = new Map<IntroPointId, IntroPointOrigin>();
  for (const b of usable) {
    for (const id of b.introPoints.map(introPointId)) {
      sources.set(id, { backend: b.address, seenAt: b.introPointSeenAt(id) ?? nowMs });
    }
  }
  return sources;
}

/**
 * One upload per responsible HSDir, each with the descriptor group it gets:
 * the groups are spread over the HSDirs clients fetch from first (`fetchDirs`).
 */
export function planUploads(
  hsDirs: readonly Relay[],
  fetchDirs: readonly Relay[],
  groups: number,
): HsDirUpload[] {
  const fetched = new Set(fetchDirs.map((r) => r.fingerprint));
  const assignment = assignGroups(hsDirs.map((r) => fetched.has(r.fingerprint)), groups);
  return hsDirs.map((relay, i) => ({
    relay,
    group: assignment[i] ?? 0,
    status: "pending",
    attempts: 0,
  }));
}

/** The intro point's relay: its RSA identity (or ed25519 identity) link specifier, as hex. */
export function relayOf(point: HsDescIntroPoint): string | undefined {
  const specs = point.linkSpecifiers.specifiers;
  for (const spec of specs) if (spec.kind === "legacy-id") return `rsa:${toHex(spec.rsaId)}`;
  for (const spec of specs) if (spec.kind === "ed25519-id") return `ed:${toHex(spec.ed25519Id)}`;
  return undefined;
}

/** The earliest time (ms) one of `slots` has a failed upload to retry or is due for republishing. */
export function nextDueOf(
  slots: Iterable<PublishedSlot>,
  republishIntervalMs: number,
): number | undefined {
  let due: number | undefined;
  for (const slot of slots) {
    for (const upload of slot.uploads) {
      if (upload.status === "failed" && upload.nextRetryAt !== undefined) {
        due = Math.min(due ?? Infinity, upload.nextRetryAt);
      }
    }
    due = Math.min(due ?? Infinity, slot.builtAt + republishIntervalMs);
  }
  return due;
}
