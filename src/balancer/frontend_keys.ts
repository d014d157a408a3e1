/**
 * Where a frontend's descriptor keys come from: its identity key (`key:`),
 * or an offline key bundle (`offline-keys:`) made on a machine that keeps the
 * identity key (rend-spec-v3 §1.7).
 *
 * Spec: rend-spec-v3 §1.7, [DESC-OUTER]; tor `hs_service.c:
 * build_service_desc_plaintext()` (a fresh signing key per descriptor).
 *
 * @module
 */

import type { OfflineKeyBundle } from "../custody/mod.ts";
import type { HsIdKey, HsIdKeypair } from "../keys/mod.ts";
import { obRevisionKey } from "../keys/revision_counter.ts";
import type { HsDescSigningKeypair, OfflineIdentity } from "../netdoc/hsdesc/mod.ts";
import type { TimePeriod } from "../time/mod.ts";

/** A frontend's keys: the identity key itself, or an offline bundle. */
export type FrontendKeys =
  | { readonly kind: "key"; readonly keypair: HsIdKeypair }
  | { readonly kind: "offline"; readonly bundle: OfflineKeyBundle; readonly path: string };

/** What one period's descriptors are signed with, or why they cannot be made. */
export type DescriptorSigner =
  | {
    readonly ok: true;
    /** The identity keypair, or the public key with the period's type-08 cert. */
    readonly identity: HsIdKeypair | OfflineIdentity;
    /** The certified signing key (offline); online, the frontend draws one per period. */
    readonly signingKey?: HsDescSigningKeypair;
  }
  | { readonly ok: false; readonly reason: string };

/** `KP_hs_id`. */
export function publicKeyOf(keys: FrontendKeys): HsIdKey {
  return keys.kind === "key" ? keys.keypair.public : keys.bundle.identity;
}

/** The key of OnionBalance's revision counters (`obRevisionKey`), the same both ways. */
export function revisionKeyOf(keys: FrontendKeys): Uint8Array {
  return keys.kind === "key" ? obRevisionKey(keys.keypair) : keys.bundle.revisionKey();
}

/** The signer of `period`'s descriptors at `now`. */
export function signerFor(keys: FrontendKeys, period: TimePeriod, now: Date): DescriptorSigner {
  if (keys.kind === "key") return { ok: true, identity: keys.keypair };
  return keys.bundle.signerFor(period, now);
}

/** Seconds of publishing a bundle has left at `nowS` (its end minus now), or undefined. */
export function secondsLeft(keys: FrontendKeys, nowS: number): number | undefined {
  return keys.kind === "offline" ? keys.bundle.endsAt - nowS : undefined;
}

/** An offline bundle's span and what is left of it. */
export interface BundleStatus {
  file: string;
  firstPeriod: number;
  lastPeriod: number;
  /** Until when both descriptors can be made (ms). */
  endsAt: number;
  leftMs: number;
  /** Whether it ends within the warning time. */
  runningOut: boolean;
}

/** The bundle's status at `nowMs`, or undefined for a key. */
export function bundleStatus(
  keys: FrontendKeys,
  nowMs: number,
  warningMs: number,
): BundleStatus | undefined {
  if (keys.kind !== "offline") return undefined;
  const bundle = keys.bundle;
  const leftMs = bundle.endsAt * 1000 - nowMs;
  return {
    file: keys.path,
    firstPeriod: bundle.firstPeriod,
    lastPeriod: bundle.last.number,
    endsAt: bundle.endsAt * 1000,
    leftMs,
    runningOut: leftMs < warningMs,
  };
}

/** The log line that a frontend's bundle runs out (or has). */
export function runOutWarning(address: string, status: BundleStatus): string {
  const when = new Date(status.endsAt).toISOString().slice(0, 16).replace("T", " ");
  const left = status.leftMs <= 0
    ? "has run out"
    : `runs out in ${formatDuration(status.leftMs)}, at ${when} UTC`;
  return `The offline key bundle of ${address}.onion (${status.file}) ${left}: its last period ` +
    `is ${status.lastPeriod}. Make a new one on the machine that holds the identity key ` +
    `(onionbalance keys offline) and reload.`;
}

/** How often the warning that a bundle runs out is repeated (ms). */
const RUN_OUT_REPEAT_MS = 6 * 3_600_000;

/** When to warn that a frontend's bundle runs out: at once, then every 6 hours while it lasts. */
export class RunOutWarnings {
  #warnedAt: number | undefined;

  /** `status` when a warning is due at `nowMs` (it is then counted as given), else undefined. */
  due(status: BundleStatus | undefined, nowMs: number): BundleStatus | undefined {
    if (status === undefined || !status.runningOut) {
      this.#warnedAt = undefined;
      return undefined;
    }
    if (this.#warnedAt !== undefined && nowMs - this.#warnedAt < RUN_OUT_REPEAT_MS) {
      return undefined;
    }
    this.#warnedAt = nowMs;
    return status;
  }
}

/** `3 d 4 h`, `5 h 10 min`, `7 min`: a duration for a log line. */
function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}
