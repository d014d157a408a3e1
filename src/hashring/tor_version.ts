/**
 * Tor version strings as tor parses and compares them, for the one rule the
 * hash ring needs: a relay whose `v` line names a Tor older than 0.3.0.8 is
 * not a v3 HSDir even if its `pr` line says `HSDir=2` (tor bug #22447).
 *
 * Spec: dir-spec §3.4.1 (`v` line, "Tor " + version); tor
 * `core/or/versions.c: tor_version_parse_platform, tor_version_parse,
 * tor_version_compare, tor_version_as_new_as, summarize_protover_flags`.
 * ```
 * version = NUM "." NUM [ "." NUM [ ("." | "pre" | "rc") NUM ] ] [ "-" tag ] [ " (r" NUM | " (git-" HEX ")" ]
 * ```
 *
 * Role: pure. Like tor, an unparseable or non-"Tor " platform counts as new
 * enough ("be safe and say yes").
 *
 * @module
 */

/** A parsed tor version (`tor_version_t`). */
export interface TorVersion {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
  /** `VER_PRE` = 0, `VER_RC` = 1, `VER_RELEASE` = 2. */
  readonly status: 0 | 1 | 2;
  readonly patchlevel: number;
  readonly statusTag: string;
  readonly svnRevision: number;
  readonly gitTag: string;
}

const INT32_MAX = 2 ** 31 - 1;
/** `MAX_STATUS_TAG_LEN` of `tor_version_st.h`. */
const MAX_STATUS_TAG_LEN = 32;

/**
 * Parses a version (`tor_version_parse`), with or without a leading "Tor ".
 *
 * @returns The version, or undefined when tor could not parse it.
 */
export function parseTorVersion(text: string): TorVersion | undefined {
  const s = /^tor /i.test(text) ? text.slice(4) : text;
  // NUM.NUM[.NUM[(.|pre|rc)NUM]] then an optional tag, all up to the first whitespace.
  const m = /^(\d+)\.(\d+)(?:(?:\.(\d+)(?:(\.|pre|rc)(\d+))?)?)(.*)$/s.exec(s);
  if (m === null) return undefined;
  const nums = [m[1], m[2], m[3] ?? "0", m[5] ?? "0"].map(Number);
  if (nums.some((n) => n > INT32_MAX)) return undefined;
  const [major, minor, micro, patchlevel] = nums as [number, number, number, number];
  const status = m[4] === "pre" ? 0 : m[4] === "rc" ? 1 : 2;
  let rest = m[6]!;
  // After MAJOR.MINOR only "-tag" or the end may follow; after MICRO: end, ".", "-", "pre", "rc".
  if (m[3] === undefined && rest !== "" && !rest.startsWith("-")) return undefined;
  if (m[3] !== undefined && m[4] === undefined && rest !== "" && !rest.startsWith("-")) {
    return undefined;
  }
  // status_tag: skip one '-' or '.', take up to whitespace
  if (rest.startsWith("-") || rest.startsWith(".")) rest = rest.slice(1);
  const tagEnd = rest.search(/\s|$/);
  // A tag of 32 characters or more is strlcpy'd from the whole rest into 32 bytes (a tor quirk).
  const statusTag = tagEnd >= MAX_STATUS_TAG_LEN
    ? rest.slice(0, MAX_STATUS_TAG_LEN - 1)
    : rest.slice(0, tagEnd);
  rest = rest.slice(tagEnd).replace(/^\s+/, "");
  let svnRevision = 0;
  let gitTag = "";
  if (rest.startsWith("(r")) {
    svnRevision = Number.parseInt(rest.slice(2), 10) || 0;
  } else if (rest.startsWith("(git-")) {
    const close = rest.indexOf(")");
    if (close < 0) return undefined;
    const hex = rest.slice(5, close);
    if (hex.length === 0 || hex.length > 40 || hex.length % 2 === 1 || !/^[0-9a-f]+$/i.test(hex)) {
      return undefined;
    }
    gitTag = hex.toLowerCase();
  }
  return { major, minor, micro, status, patchlevel, statusTag, svnRevision, gitTag };
}

/**
 * Extracts and parses the version of a platform string such as a consensus
 * `v` line (`tor_version_parse_platform`).
 *
 * @returns The version; `"not-tor"` when it does not start with "Tor ";
 *   undefined when unparseable.
 */
export function parseTorPlatform(platform: string): TorVersion | "not-tor" | undefined {
  if (!platform.startsWith("Tor ")) return "not-tor";
  const start = platform.slice(3).replace(/^\s+/, "");
  if (start === "") return undefined;
  // The version is the first word, plus a following "(r…" or "(git-…" word.
  const words = /^(\S+)(\s+(?:\(r|\(git-)\S*)?/.exec(start);
  const token = words === null ? start : words[0];
  if (token.length + 1 >= 128) return undefined; // "too big, no"
  return parseTorVersion(token);
}

function cmpUnsigned(a: number, b: number): number {
  // tor's CMP: (int)((unsigned)a − (unsigned)b), only the sign used.
  const d = ((a >>> 0) - (b >>> 0)) | 0;
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/** `tor_version_compare`: negative, 0 or positive. */
export function compareTorVersions(a: TorVersion, b: TorVersion): number {
  for (const field of ["major", "minor", "micro", "status", "patchlevel"] as const) {
    const c = cmpUnsigned(a[field], b[field]);
    if (c !== 0) return c;
  }
  if (a.statusTag !== b.statusTag) return a.statusTag < b.statusTag ? -1 : 1;
  const svn = cmpUnsigned(a.svnRevision, b.svnRevision);
  if (svn !== 0) return svn;
  const len = cmpUnsigned(a.gitTag.length / 2, b.gitTag.length / 2);
  if (len !== 0) return len;
  return a.gitTag < b.gitTag ? -1 : a.gitTag > b.gitTag ? 1 : 0;
}

/**
 * `tor_version_as_new_as(platform, cutoff)`: whether the platform's version is
 * at least `cutoff`; true for a non-Tor or unparseable platform.
 *
 * @example
 * ```ts
 * import { torVersionAsNewAs } from "./tor_version.ts";
 * torVersionAsNewAs("Tor 0.3.0.7", "0.3.0.8"); // false
 * torVersionAsNewAs("Tor 0.4.8.9", "0.3.0.8"); // true
 * ```
 */
export function torVersionAsNewAs(platform: string, cutoff: string): boolean {
  const cut = parseTorVersion(cutoff);
  if (cut === undefined) throw new RangeError(`Cannot parse cutoff version "${cutoff}"`);
  const version = parseTorPlatform(platform);
  if (version === "not-tor" || version === undefined) return true;
  return compareTorVersions(version, cut) >= 0;
}
