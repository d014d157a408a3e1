/**
 * Which relays are on the HSDir hash ring (the v3 HSDirs), and the relay
 * shape the ring needs.
 *
 * Spec: rend-spec-v3 [WHERE-HSDESC] ("each node listed in the current
 * consensus with the HSDir flag"); tor `hs_common.c:
 * hs_get_responsible_hsdirs` (`node_supports_v3_hsdir(n) && rs->is_hs_dir`,
 * then `node_has_hsdir_index`), `versions.c: summarize_protover_flags`;
 * dir-spec §3.9.2 (microdesc consensus `m` line). A relay counts when all hold:
 * 1. the consensus gives it the `HSDir` flag;
 * 2. its `pr` line lists `HSDir=2` (no `pr` line: not a v3 HSDir), and its
 *    `v` line does not name a Tor older than 0.3.0.8 (tor bug #22447);
 * 3. its ed25519 identity is known (from its microdescriptor).
 *
 * @module
 */

import type { RelayEd25519Id } from "../keys/mod.ts";
import { torVersionAsNewAs } from "./tor_version.ts";

/**
 * What the ring needs to know about a relay; `src/netdoc/`'s consensus relay
 * plus the ed25519 identity from its microdescriptor fits it. Callers may pass
 * richer objects (nickname, fingerprint): the ring hands the same objects back.
 */
export interface HsDirRelay {
  /** Consensus flags (`s` line). */
  readonly flags: ReadonlySet<string> | readonly string[];
  /** The `pr` line as protocol → versions; undefined when the entry has no `pr` line. */
  readonly protocols?: ReadonlyMap<string, ReadonlySet<number>> | undefined;
  /** The `v` line, e.g. `Tor 0.4.8.9`, if any. */
  readonly version?: string | undefined;
  /** The ed25519 identity, when its microdescriptor is known and has one. */
  readonly ed25519Id?: RelayEd25519Id | undefined;
}

/** The first version whose `HSDir=2` claim tor believes (bug #22447). */
const FIRST_V3_HSDIR_VERSION = "0.3.0.8";

/**
 * `v` lines seen, and whether each is new enough: a consensus has a few dozen
 * distinct ones, and every ring build asks for thousands of relays. Cleared
 * when it grows past {@link VERSION_CACHE_LIMIT} (a consensus with odd lines).
 */
const versionNewEnough = new Map<string, boolean>();
const VERSION_CACHE_LIMIT = 1024;

function isNewEnough(version: string): boolean {
  let ok = versionNewEnough.get(version);
  if (ok === undefined) {
    ok = torVersionAsNewAs(version, FIRST_V3_HSDIR_VERSION);
    if (versionNewEnough.size >= VERSION_CACHE_LIMIT) versionNewEnough.clear();
    versionNewEnough.set(version, ok);
  }
  return ok;
}

/** Whether the consensus gives the relay the `HSDir` flag. */
export function hasHsDirFlag(relay: HsDirRelay): boolean {
  const flags = relay.flags;
  return Array.isArray(flags)
    ? flags.includes("HSDir")
    : (flags as ReadonlySet<string>).has("HSDir");
}

/**
 * Tor's `supports_v3_hsdir`: the `pr` line has `HSDir=2`, unless the `v` line
 * names a Tor older than 0.3.0.8.
 */
export function supportsV3HsDir(relay: HsDirRelay): boolean {
  if (relay.protocols?.get("HSDir")?.has(2) !== true) return false;
  return relay.version === undefined || isNewEnough(relay.version);
}

/** Whether the relay belongs on the v3 HSDir ring (all three conditions above). */
export function isV3HsDir(relay: HsDirRelay): boolean {
  return hasHsDirFlag(relay) && supportsV3HsDir(relay) && relay.ed25519Id !== undefined;
}
