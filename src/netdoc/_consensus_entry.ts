/**
 * The router status entries of a microdesc consensus (`r`, `m`, `s`, `v`,
 * `pr`), read in two ways that must give the same relays: lines in the form
 * tor writes them, straight from the text (the fast path), and lines in any
 * form, split into words (the general path).
 *
 * Spec: dir-spec §3.4.1 "Vote and consensus status document formats" (the
 * router status entry items) and §3.9.2 "Microdescriptor consensus" (its `r`
 * and `m` lines) — https://spec.torproject.org/dir-spec/consensus-formats.html;
 * tor `routerstatus_parse_entry_from_string`.
 *
 * Role: used only by `consensus.ts`. Parses text; never touches the network.
 * `tests/netdoc/consensus_diff_test.ts` holds both paths to a line-by-line
 * reference parser.
 *
 * @module
 */

import { fromBase64, toHex } from "../bytes/mod.ts";
import type { ConsensusRelay } from "./consensus.ts";
import { syntaxError } from "./_consensus_preamble.ts";

/** Character codes the fast path compares with. */
const SPACE = 0x20;
const EQUALS = 0x3d;
const LETTER_M = 0x6d;
const LETTER_P = 0x70;
const LETTER_R = 0x72;
const LETTER_S = 0x73;
const LETTER_V = 0x76;

/**
 * The router status entries of one consensus, read line by line: the entry
 * being read, the entries already read, and the parsed `s`, `v` and `pr`
 * lines. Thousands of relays share a few distinct ones, so each distinct
 * line (its arguments as written) is parsed once and its read-only result
 * shared.
 */
export class EntryReader {
  /** The entries read, in consensus order. */
  readonly relays: ConsensusRelay[] = [];
  #relay: ConsensusRelay | undefined;
  readonly #flagSets = new Map<string, ReadonlySet<string>>();
  readonly #versions = new Map<string, string>();
  readonly #protocolMaps = new Map<string, ReadonlyMap<string, ReadonlySet<number>>>();

  /**
   * Ends the entry being read (at the next `r` line, at `directory-footer`
   * or at the end of the text). An entry without an `m` line is dropped: it
   * names no microdescriptor.
   */
  end(): void {
    if (this.#relay !== undefined && this.#relay.microdescDigest !== "") {
      this.relays.push(this.#relay);
    }
    this.#relay = undefined;
  }

  /**
   * The fast path: reads the line `text[at, end)` if it is an entry line in
   * the form tor writes it (keyword, one space, arguments) and it can be
   * read without splitting it: an `r` or `m` line, or an `s`, `v` or `pr`
   * line seen before. Returns false for any other line, which the general
   * path ({@link readItem}) then reads.
   */
  readTorForm(text: string, at: number, end: number, n: number): boolean {
    const first = text.charCodeAt(at);
    if (text.charCodeAt(at + 1) !== SPACE) {
      return first === LETTER_P && text.charCodeAt(at + 1) === LETTER_R &&
        text.charCodeAt(at + 2) === SPACE &&
        this.#protocolsSeen(text.slice(at + 3, end));
    }
    const args = text.slice(at + 2, end);
    switch (first) {
      case LETTER_R:
        return this.#routerTorForm(args, n);
      case LETTER_M:
        return this.#digestTorForm(args);
      case LETTER_S:
        return this.#flagsSeen(args);
      case LETTER_V:
        return this.#versionSeen(args);
      default:
        return false;
    }
  }

  /** `"r" SP nickname SP identity SP publication SP IP SP ORPort SP DirPort`: a new entry. */
  #routerTorForm(args: string, n: number): boolean {
    const relay = routerFromArgs(args, n);
    if (relay === undefined) return false;
    this.end();
    this.#relay = relay;
    return true;
  }

  /** `"m" SP digest`: base64 "with trailing =s omitted" (any written are dropped). */
  #digestTorForm(args: string): boolean {
    if (this.#relay === undefined || args === "" || args.indexOf(" ") >= 0) return false;
    let stop = args.length;
    while (stop > 0 && args.charCodeAt(stop - 1) === EQUALS) stop--;
    this.#relay.microdescDigest = stop === args.length ? args : args.slice(0, stop);
    return true;
  }

  // One method per cache, not one generic method over a field name: on this path (every
  // `s`, `v` and `pr` line of a consensus) the generic version measured 5-8 % slower
  // (scripts/bench/consensus.ts, minimum of 60 runs, 7 alternating pairs).

  /** `"s" SP Flags`, if these flags were read before. */
  #flagsSeen(args: string): boolean {
    if (this.#relay === undefined) return false;
    const flags = this.#flagSets.get(args);
    if (flags === undefined) return false;
    this.#relay.flags = flags;
    return true;
  }

  /** `"v" SP version`, if this version was read before. */
  #versionSeen(args: string): boolean {
    if (this.#relay === undefined) return false;
    const version = this.#versions.get(args);
    if (version === undefined) return false;
    this.#relay.version = version;
    return true;
  }

  /** `"pr" SP Entries`, if these entries were read before. */
  #protocolsSeen(args: string): boolean {
    if (this.#relay === undefined) return false;
    const protocols = this.#protocolMaps.get(args);
    if (protocols === undefined) return false;
    this.#relay.protocols = protocols;
    return true;
  }

  /**
   * The general path: reads an entry line in any form, given as its words.
   * `args` (the line after the keyword and its space, when the line starts
   * with its keyword) keys the caches {@link readTorForm} looks in. A line
   * other than `r` outside an entry is ignored.
   *
   * @throws {NetdocSyntaxError} For a malformed `r` or `pr` line.
   */
  readItem(keyword: string, words: readonly string[], args: string | undefined, n: number): void {
    if (keyword === "r") {
      this.end();
      this.#relay = parseRouterLine(words, n);
      return;
    }
    const relay = this.#relay;
    if (relay === undefined) return;
    switch (keyword) {
      case "m":
        relay.microdescDigest = (words[1] ?? "").replace(/=+$/, "");
        break;
      case "s":
        relay.flags = remember(this.#flagSets, args, new Set(words.slice(1)));
        break;
      case "v":
        relay.version = remember(this.#versions, args, words.slice(1).join(" "));
        break;
      case "pr":
        relay.protocols = remember(this.#protocolMaps, args, parseProtocols(words.slice(1), n));
        break;
    }
  }
}

/** `value`, stored in `cache` under `key` when there is one. */
function remember<T>(cache: Map<string, T>, key: string | undefined, value: T): T {
  if (key !== undefined) cache.set(key, value);
  return value;
}

/**
 * `"r" SP nickname SP identity SP publication SP IP SP ORPort SP DirPort`
 * (dir-spec §3.9.2; `publication` is a date and a time, two words), in any
 * form: its words.
 */
function parseRouterLine(words: readonly string[], n: number): ConsensusRelay {
  if (words.length < 8) throw syntaxError("TooFewArguments", "bad router line", n);
  return newRelay(words[1]!, identityHex(words[2]!, n), words[5]!, words[6]!);
}

/**
 * An `r` line's arguments in tor's form (seven words, single spaces): the
 * relay, read without splitting the line; undefined for any other form,
 * which {@link parseRouterLine} then reads (or rejects).
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
  const identity = identityHex(args.slice(s1 + 1, s2), n);
  return newRelay(args.slice(0, s1), identity, args.slice(s4 + 1, s5), args.slice(s5 + 1, s6));
}

/** A relay from its `r` line's fields, before its `m`, `s`, `v` and `pr` lines. */
function newRelay(
  nickname: string,
  fingerprint: string,
  address: string,
  orPort: string,
): ConsensusRelay {
  return {
    nickname,
    fingerprint,
    address,
    orPort: Number(orPort),
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
 * The `r` line's identity, "a hash of its identity key, encoded in base64,
 * with trailing equals sign(s) removed", as 40 uppercase hex digits.
 *
 * @throws {NetdocSyntaxError} When it is not base64 of 20 bytes.
 */
function identityHex(b64: string, n: number): string {
  const fast = identityHexUnpadded(b64);
  if (fast !== undefined) return fast;
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
 * The usual form of an identity (27 base64 characters, optionally one "="),
 * converted directly; undefined for anything else, which goes through the
 * general decoder. 27 × 6 = 162 bits: 20 bytes and 2 spare bits, ignored as
 * the decoder ignores them.
 */
function identityHexUnpadded(b64: string): string | undefined {
  const len = b64.length === 28 && b64.charCodeAt(27) === EQUALS ? 27 : b64.length;
  if (len !== 27) return undefined;
  let hex = "";
  let bits = 0;
  let acc = 0;
  for (let i = 0; i < 27; i++) {
    const c = b64.charCodeAt(i);
    const v = c < 128 ? SEXTET[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      hex += HEX_BYTE[(acc >> bits) & 0xff]!;
    }
  }
  return hex;
}

/**
 * Parses a `pr` line's value (`"pr" SP Entries`, dir-spec §3.4.1), e.g.
 * `HSDir=1-2 Link=1-5 LinkAuth=1,3`: protocol name → supported versions.
 *
 * @param words The line's words after the keyword.
 * @param line The line number for errors.
 * @throws {NetdocSyntaxError} For an entry that is not `Name=ranges`, or a
 *   range that is reversed or spans more than 64 versions.
 */
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
