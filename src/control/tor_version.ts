/**
 * Tor version strings (`0.4.9.11`, `0.4.3.1-alpha`, `0.4.8.10-dev (git-…)`) and the minimum
 * version the balancer supports.
 *
 * Spec: tor `doc/version-spec.txt` (MAJOR.MINOR.MICRO[.PATCHLEVEL][-STATUS_TAG][ (EXTRA_INFO)]);
 * tor `core/or/versions.c: tor_version_parse`. Since 0.2.x the patch level alone orders releases of
 * one series: `0.4.3.1-alpha` < `0.4.3.2-alpha` < `0.4.3.5`, and `-dev` marks work after that
 * release, so comparing the four numbers is enough.
 *
 * Why {@link MIN_TOR_VERSION} is 0.4.3.1-alpha: the balancer reads the consensus with
 * `GETINFO dir/status-vote/current/consensus-microdesc`, which tor added in 0.4.3.1-alpha (tor
 * ChangeLog, ticket 31684; OnionBalance 0.2.2 reads it too, in
 * `onionbalance/hs_v3/stem_controller.py`). Everything else we use is older: v3 HSFETCH
 * (0.4.1.1-alpha), HSPOST parsing `HSADDRESS=` (fixed in 0.3.4.4-rc, bug 26523),
 * HS_DESC_CONTENT and SAFECOOKIE. `HiddenServiceOnionBalanceInstance` (0.4.4.1-alpha) is an option
 * of the *backend* tors, which this client never talks to, so it does not raise the minimum.
 *
 * @module
 */

import { ControlProtocolError, ControlVersionError } from "./errors.ts";

/** The oldest tor the balancer's control client accepts. See the module documentation. */
export const MIN_TOR_VERSION = "0.4.3.1-alpha";

/** A parsed tor version. */
export interface TorVersion {
  /** `[major, minor, micro, patchlevel]`; the patch level is 0 when absent. */
  readonly numbers: readonly [number, number, number, number];
  /** The status tag without its dash (`alpha`, `rc`, `dev`), if any. */
  readonly status?: string;
  /** The string as tor wrote it. */
  readonly raw: string;
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?(?:-([A-Za-z0-9.-]+))?(?: \(.*\))?$/;

/**
 * Parses a version as tor reports it in PROTOCOLINFO or `GETINFO version`.
 *
 * @param text E.g. `0.4.9.11` or `0.4.8.10-dev (git-1234abcd)`.
 * @returns The parsed version.
 * @throws {ControlProtocolError} If `text` is not a tor version.
 */
export function parseTorVersion(text: string): TorVersion {
  const match = VERSION.exec(text.trim());
  if (!match) {
    throw new ControlProtocolError(
      "MalformedReply",
      `Cannot parse tor version "${text}": expected MAJOR.MINOR.MICRO[.PATCH][-TAG]`,
    );
  }
  const numbers = [1, 2, 3, 4].map((i) => Number(match[i] ?? "0")) as [
    number,
    number,
    number,
    number,
  ];
  return { numbers, raw: text, ...(match[5] ? { status: match[5] } : {}) };
}

/**
 * Orders two versions by their four numbers.
 *
 * @returns A negative number, 0 or a positive number, as `a` is older, the same or newer.
 */
export function compareTorVersions(a: TorVersion, b: TorVersion): number {
  for (let i = 0; i < 4; i++) {
    const diff = a.numbers[i]! - b.numbers[i]!;
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Checks that tor is recent enough.
 *
 * @param reported The version tor reported.
 * @param minimum The minimum; default {@link MIN_TOR_VERSION}.
 * @returns The parsed version.
 * @throws {ControlVersionError} If `reported` is older than `minimum`.
 * @throws {ControlProtocolError} If `reported` does not parse.
 *
 * @example
 * ```ts
 * import { checkTorVersion } from "./tor_version.ts";
 * checkTorVersion("0.4.9.11"); // fine
 * try {
 *   checkTorVersion("0.4.2.7");
 *   throw new Error("not reached");
 * } catch (error) {
 *   if (!(error instanceof Error) || error.name !== "ControlVersionError") throw error;
 * }
 * ```
 */
export function checkTorVersion(reported: string, minimum: string = MIN_TOR_VERSION): TorVersion {
  const version = parseTorVersion(reported);
  if (compareTorVersions(version, parseTorVersion(minimum)) < 0) {
    throw new ControlVersionError(
      reported,
      minimum,
      `Tor ${reported} is too old: the balancer needs tor ${minimum} or newer (for GETINFO dir/status-vote/current/consensus-microdesc)`,
    );
  }
  return version;
}
