/**
 * Every copy of a frontend descriptor that the network holds for the period clients use: the
 * HSDirs responsible for storing it ([HASHRING], computed from an observer tor's consensus,
 * so the check needs nothing from the balancer and works for OnionBalance too), each asked
 * with `HSFETCH … SERVER=`; each copy decrypted and verified, its revision counter and its
 * intro points kept. {@link judgeCopies} says what is wrong with a set of them.
 *
 * @module
 */

import type { ControlClient } from "../../src/control/mod.ts";
import { blindPublicKey, parseOnionAddress } from "../../src/keys/mod.ts";
import { loadNetworkView, relayOf } from "../../src/balancer/mod.ts";
import { fetchCopy } from "../bench/follow_scenario.ts";

/** One responsible HSDir's copy of a frontend descriptor. */
export interface HsDirCopy {
  balancer: string;
  at: number;
  /** The time period clients use now. */
  period: number;
  /** The HSDir's fingerprint. */
  hsDir: string;
  /** Its revision counter (decimal), when it was fetched and decoded. */
  revision?: string;
  /** Its intro points' auth keys, when it was fetched and decoded. */
  keys?: string[];
  /** Each intro point's relay (from its link specifiers), in the same order. */
  relays?: (string | null)[];
  /** Why there is no copy: the HSDir had none, or it did not decrypt or verify. */
  error?: string;
}

/**
 * Fetches the descriptor of `balancer.onionAddress` for the period clients use now from every
 * HSDir responsible for storing it, through `observer` (a tor no client uses: what it fetches
 * lands in its cache).
 */
export async function fetchEveryCopy(
  balancer: { label: string; onionAddress: string },
  observer: ControlClient,
): Promise<HsDirCopy[]> {
  const at = Date.now();
  const identity = parseOnionAddress(balancer.onionAddress);
  const view = await loadNetworkView(observer, { isTestingNetwork: true });
  const times = view.timeline.fetch();
  const blinded = blindPublicKey(identity, times.period);
  const copies: HsDirCopy[] = [];
  for (const relay of view.responsible(blinded, times, "store")) {
    const copy: HsDirCopy = {
      balancer: balancer.label,
      at,
      period: times.period.number,
      hsDir: relay.fingerprint,
    };
    copies.push(copy);
    const got = await fetchCopy(observer, balancer.onionAddress, relay.fingerprint, times.period);
    if ("error" in got) {
      copy.error = got.error;
      continue;
    }
    copy.revision = got.desc.outer.revisionCounter.toString();
    copy.keys = got.desc.inner.introPoints.map((p) => p.authKey.toString());
    copy.relays = got.desc.inner.introPoints.map((p) => relayOf(p) ?? null);
  }
  return copies;
}

/** What is wrong with the copies of one balancer's descriptor seen so far. */
export interface CopyProblems {
  /** Copies that could not be fetched or decoded (HSDir, period, reason). */
  missing: string[];
  /** An HSDir whose copy's revision counter went down between two checks of one period. */
  revisionDown: string[];
  /** Intro points of a copy that no live backend serves (HSDir: key). */
  notServed: string[];
  /**
   * Relays carrying more than one intro point of a copy (HSDir: relay ×n): a tor client
   * introduces with the first one only, and loops on the others once that one is gone.
   */
  sharedRelay: string[];
}

/**
 * Judges `copies` (one balancer's, oldest first): every copy present and decoded, no HSDir's
 * revision counter lower than it was at an earlier check of the same period, every intro
 * point one that `served(at)` holds at the copy's check time, and no two on one relay.
 */
export function judgeCopies(
  copies: readonly HsDirCopy[],
  served: (at: number) => ReadonlySet<string>,
): CopyProblems {
  const problems: CopyProblems = { missing: [], revisionDown: [], notServed: [], sharedRelay: [] };
  const highest = new Map<string, bigint>();
  for (const c of copies) {
    if (c.revision === undefined || c.keys === undefined) {
      problems.missing.push(`${c.hsDir} (period ${c.period}): ${c.error ?? "no copy"}`);
      continue;
    }
    const key = `${c.period}/${c.hsDir}`;
    const revision = BigInt(c.revision);
    const before = highest.get(key);
    if (before !== undefined && revision < before) {
      problems.revisionDown.push(`${c.hsDir} (period ${c.period}): ${before} then ${revision}`);
    }
    if (before === undefined || revision > before) highest.set(key, revision);
    const open = served(c.at);
    for (const k of c.keys) if (!open.has(k)) problems.notServed.push(`${c.hsDir}: ${k}`);
    const perRelay = new Map<string, number>();
    for (const r of c.relays ?? []) if (r !== null) perRelay.set(r, (perRelay.get(r) ?? 0) + 1);
    for (const [r, n] of perRelay) if (n > 1) problems.sharedRelay.push(`${c.hsDir}: ${r} ×${n}`);
  }
  return problems;
}
