/**
 * A deliberately naive transcription of tor's `hs_get_responsible_hsdirs`
 * (linear scans, hex-string indexes) to compare `HsDirRing` against.
 *
 * @module
 */

import { toHex } from "../../src/bytes/mod.ts";
import {
  hsDirIndex,
  type HsDirParams,
  type HsDirRelay,
  hsIndex,
  isV3HsDir,
} from "../../src/hashring/mod.ts";
import type { HsBlindIdKey } from "../../src/keys/mod.ts";
import type { RingTimes } from "../../src/time/mod.ts";

/** Tor's loop over replicas, with nodes sorted by hex index and a linear search for the start. */
export function referenceResponsible<R extends HsDirRelay>(
  relays: R[],
  times: RingTimes,
  blinded: HsBlindIdKey,
  params: HsDirParams,
  purpose: "store" | "fetch",
): R[] {
  const nodes = relays.filter(isV3HsDir)
    .map((relay) => ({ relay, index: hsDirIndex(relay.ed25519Id!, times).toString() }))
    .sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0));
  const result: R[] = [];
  if (nodes.length === 0) return result;
  const nToAdd = purpose === "store" ? params.spreadStore : params.spreadFetch;
  for (let replica = 1; replica <= params.nReplicas; replica++) {
    const target = toHex(hsIndex(blinded, { replica, period: times.period }).toBytes());
    let idx = nodes.findIndex((n) => n.index >= target);
    if (idx < 0) idx = 0;
    const start = idx;
    let added = 0;
    while (added < nToAdd) {
      const node = nodes[idx]!.relay;
      if (!result.includes(node)) {
        result.push(node);
        added++;
      }
      if (++idx === nodes.length) idx = 0;
      if (idx === start) break;
    }
  }
  return result;
}
