/**
 * The microdescriptor-flavoured consensus, as `GETINFO
 * dir/status-vote/current/consensus-microdesc` returns it: the header fields
 * the onion-service protocol needs (times, parameters, shared random values)
 * and every router entry (`r`, `m`, `s`, `v`, `pr`).
 *
 * Spec: dir-spec §3.4.1 (header, `params`, `shared-rand-*-value`), §3.4.2 and
 * §3.9.2 (microdesc router entries); param-spec (`hsdir_*`); rend-spec-v3
 * §2.2 [HASHRING]; tor `networkstatus.c`, `shared_random_client.c: get_voting_interval`.
 *
 * Role: parses text; verifies no signatures (tor, which hands us the
 * consensus over its control port, already did). Never touches the network.
 *
 * @module
 */

import { BytesError, fromBase64, toHex } from "../bytes/mod.ts";
import { SharedRandomValue } from "../time/mod.ts";
import { type NetdocErrorKind, NetdocSyntaxError } from "./errors.ts";

/** A malformed consensus: the {@link NetdocSyntaxError} of document "consensus". */
function syntaxError(kind: NetdocErrorKind, detail: string, line?: number): NetdocSyntaxError {
  return new NetdocSyntaxError(kind, "consensus", detail, { line });
}

/** One router entry of a microdesc consensus. */
export interface ConsensusRelay {
  /** Router nickname. */
  nickname: string;
  /** RSA identity fingerprint: 40 uppercase hex characters. */
  fingerprint: string;
  /** IPv4 address of the OR port. */
  address: string;
  /** OR port. */
  orPort: number;
  /** The `m` line: base64 SHA-256 digest of the router's microdescriptor (no padding). */
  microdescDigest: string;
  /** The `s` line's flags. */
  flags: ReadonlySet<string>;
  /** The `v` line, e.g. `Tor 0.4.9.11`, if present. */
  version?: string;
  /** The `pr` line as protocol name → supported versions; undefined if there is no `pr` line. */
  protocols?: ReadonlyMap<string, ReadonlySet<number>>;
}

/** What the onion-service code needs from a microdesc consensus. */
export interface MicrodescConsensus {
  /** `valid-after`, Unix seconds. */
  validAfter: number;
  /** `fresh-until`, Unix seconds. */
  freshUntil: number;
  /** `valid-until`, Unix seconds. */
  validUntil: number;
  /** The `params` line (Int32 values). */
  params: ReadonlyMap<string, number>;
  /** `shared-rand-current-value`, if present. */
  srvCurrent?: SharedRandomValue;
  /** `shared-rand-previous-value`, if present. */
  srvPrevious?: SharedRandomValue;
  /** Router entries in consensus order. */
  relays: ConsensusRelay[];
}

/** Parses `YYYY-MM-DD HH:MM:SS` (UTC) into Unix seconds. */
export function parseTime(
  date: string | undefined,
  time: string | undefined,
  line: number,
): number {
  const text = `${date ?? ""} ${time ?? ""}`;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) throw syntaxError("BadArgument", `bad time "${text}"`, line);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000;
}

/** Parses a `pr` line's value, e.g. `HSDir=1-2 Link=1-5 LinkAuth=1,3`. */
export function parseProtocols(words: readonly string[], line?: number): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const word of words) {
    const m = /^([A-Za-z0-9_-]+)=([0-9,-]*)$/.exec(word);
    if (m === null) throw syntaxError("BadArgument", `bad protocol entry "${word}"`, line);
    const versions = new Set<number>();
    for (const part of m[2]!.split(",").filter((p) => p !== "")) {
      const [lo, hi] = part.split("-").map(Number) as [number, number | undefined];
      const top = hi ?? lo;
      if (!Number.isInteger(lo) || !Number.isInteger(top) || top < lo || top - lo > 63) {
        throw syntaxError("BadArgument", `bad protocol range "${part}"`, line);
      }
      for (let v = lo; v <= top; v++) versions.add(v);
    }
    out.set(m[1]!, versions);
  }
  return out;
}

/** A `shared-rand-*-value` line's value (its words). */
export function parseSrv(words: readonly string[], line: number): SharedRandomValue {
  // shared-rand-current-value <NumReveals> <Value>
  try {
    const value = fromBase64(words[2] ?? "");
    if (value.length === 32) return SharedRandomValue.fromBytes(value);
  } catch (error) {
    if (!(error instanceof BytesError)) throw error;
  }
  throw syntaxError(
    "BadArgument",
    `bad shared random value "${words.slice(1).join(" ")}"`,
    line,
  );
}

/** The keywords {@link parseMicrodescConsensus} reads; every other line is skipped. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "valid-after",
  "fresh-until",
  "valid-until",
  "params",
  "shared-rand-current-value",
  "shared-rand-previous-value",
  "r",
  "m",
  "s",
  "v",
  "pr",
  "directory-footer",
]);

/** `r nickname identity published-date published-time IP ORPort DirPort`. */
function parseRouterLine(words: readonly string[], n: number): ConsensusRelay {
  if (words.length < 8) throw syntaxError("TooFewArguments", "bad router line", n);
  return {
    nickname: words[1]!,
    fingerprint: identityHex(words[2]!, n),
    address: words[5]!,
    orPort: Number(words[6]),
    microdescDigest: "",
    flags: new Set(),
  };
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) SEXTET[B64.charCodeAt(i)] = i;
const HEX_BYTE = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0").toUpperCase(),
);

/**
 * The 40 uppercase hex digits of a router identity written in base64.
 * The usual form (27 characters, optionally one "=") is converted directly;
 * anything else goes through the general decoder, with its errors.
 */
function identityHex(b64: string, n: number): string {
  const len = b64.length === 28 && b64.charCodeAt(27) === 0x3d ? 27 : b64.length;
  if (len === 27) {
    let hex = "";
    let bits = 0;
    let acc = 0;
    let ok = true;
    for (let i = 0; i < 27; i++) {
      const c = b64.charCodeAt(i);
      const v = c < 128 ? SEXTET[c]! : -1;
      if (v < 0) {
        ok = false;
        break;
      }
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        hex += HEX_BYTE[(acc >> bits) & 0xff]!;
      }
    }
    if (ok) return hex; // 27 × 6 = 162 bits: 20 bytes and 2 spare bits, as the decoder reads it
  }
  let id: Uint8Array;
  try {
    id = fromBase64(b64);
  } catch {
    throw syntaxError("BadArgument", `bad router identity "${b64}"`, n);
  }
  if (id.length !== 20) throw syntaxError("BadArgument", "router identity is not 20 bytes", n);
  return toHex(id).toUpperCase();
}

/**
 * A router line's arguments in tor's form (single spaces, at least seven
 * words): the relay, read without splitting the line; undefined for any
 * other form, which the general path then reads (or rejects).
 */
function routerFromArgs(args: string, n: number): ConsensusRelay | undefined {
  const s1 = args.indexOf(" ");
  const s2 = args.indexOf(" ", s1 + 1);
  const s3 = args.indexOf(" ", s2 + 1);
  const s4 = args.indexOf(" ", s3 + 1);
  const s5 = args.indexOf(" ", s4 + 1);
  const s6 = args.indexOf(" ", s5 + 1);
  // Seven words, none empty: every gap is a single space and nothing starts or ends with one.
  if (s1 <= 0 || s2 <= s1 + 1 || s3 <= s2 + 1 || s4 <= s3 + 1 || s5 <= s4 + 1 || s6 <= s5 + 1) {
    return undefined;
  }
  if (s6 + 1 >= args.length || args.indexOf("  ") >= 0 || args.endsWith(" ")) return undefined;
  return {
    nickname: args.slice(0, s1),
    fingerprint: identityHex(args.slice(s1 + 1, s2), n),
    address: args.slice(s4 + 1, s5),
    orPort: Number(args.slice(s5 + 1, s6)),
    microdescDigest: "",
    flags: new Set(),
  };
}

/** The keyword of a line: up to its first space; a line that starts with spaces: its first word. */
function keywordOf(line: string): { keyword: string; space: number } {
  const space = line.indexOf(" ");
  let keyword = space < 0 ? line : line.slice(0, space);
  if (keyword === "") keyword = line.split(" ").find((w) => w !== "") ?? "";
  return { keyword, space };
}

/**
 * Whether a line that starts with character code `c` may carry a keyword
 * {@link parseMicrodescConsensus} reads; every other line is skipped
 * without being cut out of the text (most of a consensus: `w`, `a`,
 * signatures, `dir-source`…). A space may start a keyword after spaces.
 */
function mayMatter(c: number): boolean {
  // d f m p r s v, space
  return c === 0x64 || c === 0x66 || c === 0x6d || c === 0x70 || c === 0x72 || c === 0x73 ||
    c === 0x76 || c === 0x20;
}

/**
 * Parses a microdesc-flavoured consensus document.
 *
 * @throws {NetdocSyntaxError} When a field the onion-service code needs is
 *   missing or malformed. Unknown lines are ignored.
 */
export function parseMicrodescConsensus(text: string): MicrodescConsensus {
  const header: Partial<Record<"validAfter" | "freshUntil" | "validUntil", number>> = {};
  const params = new Map<string, number>();
  const result: Omit<MicrodescConsensus, "validAfter" | "freshUntil" | "validUntil"> = {
    params,
    relays: [],
  };
  // Thousands of relays share a few `s`, `v` and `pr` lines: parse each distinct line
  // once and share the (read-only) result.
  const flagSets = new Map<string, ReadonlySet<string>>();
  const protocolMaps = new Map<string, ReadonlyMap<string, ReadonlySet<number>>>();
  const versions = new Map<string, string>();
  let relay: ConsensusRelay | undefined;
  const finish = () => {
    if (relay !== undefined && relay.microdescDigest !== "") result.relays.push(relay);
    relay = undefined;
  };
  // One pass over the text; a line is cut out only when its first character
  // may start a keyword that is read (see mayMatter).
  let n = 0;
  for (let pos = 0; pos < text.length || (pos === text.length && n === 0);) {
    let next = text.indexOf("\n", pos);
    if (next < 0) next = text.length;
    n++;
    const first = text.charCodeAt(pos);
    const at = pos;
    pos = next + 1;
    if (!mayMatter(first)) continue;
    const end = next > at && text.charCodeAt(next - 1) === 0x0d ? next - 1 : next;
    if (relay !== undefined || (first === 0x72 && text.charCodeAt(at + 1) === 0x20)) {
      // The lines of a router entry, in the form tor writes them: read their arguments
      // straight from the text (a cache hit costs one slice); any other form, or a miss,
      // goes the general way below, which fills the caches (keyed by the same arguments).
      const second = text.charCodeAt(at + 1);
      const pr = first === 0x70 && second === 0x72 && text.charCodeAt(at + 2) === 0x20;
      if (second === 0x20 || pr) {
        const args = text.slice(at + (pr ? 3 : 2), end);
        if (relay === undefined) {
          const fast = routerFromArgs(args, n);
          if (fast !== undefined) {
            relay = fast;
            continue;
          }
        } else if (first === 0x73) {
          const flags = flagSets.get(args);
          if (flags !== undefined) {
            relay.flags = flags;
            continue;
          }
        } else if (first === 0x76) {
          const version = versions.get(args);
          if (version !== undefined) {
            relay.version = version;
            continue;
          }
        } else if (pr) {
          const protocols = protocolMaps.get(args);
          if (protocols !== undefined) {
            relay.protocols = protocols;
            continue;
          }
        } else if (first === 0x72) {
          const fast = routerFromArgs(args, n);
          if (fast !== undefined) {
            finish();
            relay = fast;
            continue;
          }
        } else if (first === 0x6d && args !== "" && args.indexOf(" ") < 0) {
          let stop = args.length;
          while (stop > 0 && args.charCodeAt(stop - 1) === 0x3d) stop--;
          relay.microdescDigest = stop === args.length ? args : args.slice(0, stop);
          continue;
        }
      }
    }
    const line = text.slice(at, end);
    const { keyword, space } = keywordOf(line);
    if (!KEYWORDS.has(keyword)) continue;
    const words = line.split(" ").filter((w) => w !== "");
    switch (keyword) {
      case "valid-after":
        header.validAfter = parseTime(words[1], words[2], n);
        break;
      case "fresh-until":
        header.freshUntil = parseTime(words[1], words[2], n);
        break;
      case "valid-until":
        header.validUntil = parseTime(words[1], words[2], n);
        break;
      case "params":
        for (const word of words.slice(1)) {
          const m = /^([^=]+)=(-?\d+)$/.exec(word);
          if (m === null) throw syntaxError("BadArgument", `bad parameter "${word}"`, n);
          params.set(m[1]!, Number(m[2]));
        }
        break;
      case "shared-rand-current-value":
        result.srvCurrent = parseSrv(words, n);
        break;
      case "shared-rand-previous-value":
        result.srvPrevious = parseSrv(words, n);
        break;
      case "r":
        finish();
        relay = parseRouterLine(words, n);
        break;
      case "m":
        if (relay !== undefined) relay.microdescDigest = (words[1] ?? "").replace(/=+$/, "");
        break;
      case "s":
        if (relay !== undefined) {
          relay.flags = new Set(words.slice(1));
          if (space > 0) flagSets.set(line.slice(space + 1), relay.flags);
        }
        break;
      case "v":
        if (relay !== undefined) {
          relay.version = words.slice(1).join(" ");
          if (space > 0) versions.set(line.slice(space + 1), relay.version);
        }
        break;
      case "pr":
        if (relay !== undefined) {
          relay.protocols = parseProtocols(words.slice(1), n);
          if (space > 0) protocolMaps.set(line.slice(space + 1), relay.protocols);
        }
        break;
      case "directory-footer":
        finish();
        break;
    }
  }
  finish();
  const { validAfter, freshUntil, validUntil } = header;
  if (validAfter === undefined || freshUntil === undefined || validUntil === undefined) {
    throw syntaxError("MissingKeyword", "valid-after, fresh-until or valid-until is missing");
  }
  if (!(validAfter < freshUntil && freshUntil <= validUntil)) {
    throw syntaxError("BadArgument", "its times are out of order");
  }
  return { ...result, validAfter, freshUntil, validUntil };
}
