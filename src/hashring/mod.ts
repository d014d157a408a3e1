/**
 * The HSDir hash ring: `hs_index` and `hsdir_index`, which relays are v3
 * HSDirs, the ring parameters of a consensus, and the responsible HSDirs of a
 * blinded key (like arti's `tor-netdir/src/hsdir_ring.rs`).
 *
 * Spec: rend-spec-v3 §2.2.3 [WHERE-HSDESC]
 * (https://spec.torproject.org/rend-spec/deriving-keys.html#WHERE-HSDESC);
 * tor `hs_common.c: hs_build_hs_index, hs_build_hsdir_index,
 * hs_get_responsible_hsdirs`.
 *
 * Role: pure; never touches the network. The (TP, SRV) of each ring comes
 * from `HsTimeline` (`src/time/`); the relays from the consensus and
 * microdescriptors (`src/netdoc/`). Build one {@link HsDirRing} per (TP, SRV)
 * and ask it for every service.
 *
 * @example
 * ```ts
 * import { HsDirRing, hsDirParams } from "./mod.ts";
 * import { blindPublicKey, HsIdKeypair, RelayEd25519Id } from "../keys/mod.ts";
 * import { seededRng } from "../crypto/mod.ts";
 * import { HsTimeline, SharedRandomValue } from "../time/mod.ts";
 *
 * const timeline = HsTimeline.fromConsensus({
 *   validAfter: 1893502800, freshUntil: 1893506400, validUntil: 1893513600,
 *   srvCurrent: SharedRandomValue.fromBytes(new Uint8Array(32).fill(1)),
 *   srvPrevious: SharedRandomValue.fromBytes(new Uint8Array(32).fill(2)),
 * });
 * const relays = Array.from({ length: 20 }, (_, i) => ({
 *   flags: new Set(["HSDir"]),
 *   protocols: new Map([["HSDir", new Set([2])]]),
 *   ed25519Id: RelayEd25519Id.fromBytes(new Uint8Array(32).fill(i)),
 * }));
 * const times = timeline.descriptor("second");
 * const ring = HsDirRing.build(relays, times);
 * const identity = HsIdKeypair.generate(seededRng("example"));
 * const hsdirs = ring.responsible(blindPublicKey(identity.public, times.period), {
 *   params: hsDirParams(timeline.consensus.params),
 *   purpose: "store",
 * });
 * hsdirs.length; // 8
 * ```
 *
 * @module
 */

export { HsDirIndex, hsDirIndex, HsIndex, hsIndex, type HsIndexOptions } from "./hsdir_index.ts";
export {
  HSDIR_N_REPLICAS,
  HSDIR_SPREAD_FETCH,
  HSDIR_SPREAD_STORE,
  type HsDirParams,
  hsDirParams,
} from "./params.ts";
export { hasHsDirFlag, type HsDirRelay, isV3HsDir, supportsV3HsDir } from "./relay.ts";
export { HsDirRing, type ResponsibleOptions, type RingEntry, type RingPurpose } from "./ring.ts";
export {
  compareTorVersions,
  parseTorPlatform,
  parseTorVersion,
  type TorVersion,
  torVersionAsNewAs,
} from "./tor_version.ts";
