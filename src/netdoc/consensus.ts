/**
 * The microdescriptor-flavoured consensus, as `GETINFO
 * dir/status-vote/current/consensus-microdesc` returns it: the header fields
 * the onion-service protocol needs (times, parameters, shared random values)
 * and every router entry (`r`, `m`, `s`, `v`, `pr`).
 *
 * Spec: dir-spec §3.4.1 "Vote and consensus status document formats"
 * (preamble, `params`, `shared-rand-*-value`, router status entries,
 * `directory-footer`) and §3.9.2 "Microdescriptor consensus" —
 * https://spec.torproject.org/dir-spec/consensus-formats.html; param-spec
 * (`hsdir_*`); rend-spec-v3 §2.2 [HASHRING]; tor
 * `networkstatus_parse_vote_from_string`, `routerstatus_parse_entry_from_string`.
 *
 * Role: parses text; verifies no signatures (tor, which hands us the
 * consensus over its control port, already did). Never touches the network.
 *
 * How it reads a 7,000-relay consensus quickly, in one pass:
 * - {@link parseMicrodescConsensus} walks the lines without splitting the
 *   text, and skips uncut every line whose first character can start no
 *   keyword it reads (most of a consensus: `w`, `a`, `dir-source`, signatures).
 * - The fast path, `EntryReader.readTorForm` (`_consensus_entry.ts`), reads
 *   router-entry lines in the form tor writes them straight from the text;
 *   repeated `s`, `v` and `pr` lines come from a cache.
 * - Every other line takes the general path, {@link readItem}: split into
 *   words and dispatched on its keyword to the preamble items
 *   (`_consensus_preamble.ts`) or the entry items (`EntryReader.readItem`).
 *
 * The two paths must agree: `tests/netdoc/consensus_diff_test.ts` compares
 * this parser with a line-by-line reference parser on varied and randomly
 * edited documents.
 *
 * @module
 */

import type { SharedRandomValue } from "../time/mod.ts";
import { EntryReader } from "./_consensus_entry.ts";
import {
  checkTimes,
  type ConsensusTimes,
  parseParams,
  parseSrv,
  parseTime,
} from "./_consensus_preamble.ts";

export { parseProtocols } from "./_consensus_entry.ts";
export { parseSrv, parseTime } from "./_consensus_preamble.ts";

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

/**
 * Parses a microdesc-flavoured consensus document.
 *
 * @throws {NetdocSyntaxError} When a field the onion-service code needs is
 *   missing or malformed. Unknown lines are ignored.
 */
export function parseMicrodescConsensus(text: string): MicrodescConsensus {
  const draft = new ConsensusDraft();
  let n = 0; // 1-based number of the line at `pos`, for errors
  for (let pos = 0; pos < text.length;) {
    const at = pos;
    let next = text.indexOf("\n", at);
    if (next < 0) next = text.length;
    pos = next + 1;
    n++;
    if (!mayMatter(text.charCodeAt(at))) continue;
    const end = next > at && text.charCodeAt(next - 1) === 0x0d ? next - 1 : next; // CRLF
    if (!draft.entries.readTorForm(text, at, end, n)) readItem(draft, text.slice(at, end), n);
  }
  return draft.finish();
}

/**
 * Whether a line that starts with character code `c` may carry one of the
 * {@link KEYWORDS}; every other line is skipped without being cut out of
 * the text. A space may come before a keyword (see {@link keywordOf}).
 */
function mayMatter(c: number): boolean {
  // d f m p r s v, space
  return c === 0x64 || c === 0x66 || c === 0x6d || c === 0x70 || c === 0x72 || c === 0x73 ||
    c === 0x76 || c === 0x20;
}

/** A consensus being read: the preamble items read so far and the router entries. */
class ConsensusDraft {
  readonly times: ConsensusTimes = {};
  readonly params = new Map<string, number>();
  readonly entries = new EntryReader();
  /** The result without its times, in the key order it has always had. */
  readonly fields: Omit<MicrodescConsensus, keyof ConsensusTimes> = {
    params: this.params,
    relays: this.entries.relays,
  };

  /** The parsed document, once every line is read. */
  finish(): MicrodescConsensus {
    this.entries.end();
    return { ...this.fields, ...checkTimes(this.times) };
  }
}

/**
 * The general path: reads a line in any form (keyword, then words separated
 * by any number of spaces), after the fast path declined it.
 */
function readItem(draft: ConsensusDraft, line: string, n: number): void {
  const { keyword, space } = keywordOf(line);
  if (!KEYWORDS.has(keyword)) return;
  const words = line.split(" ").filter((w) => w !== "");
  if (readDocumentItem(draft, keyword, words, n)) return;
  // The arguments as written key the caches of the fast path.
  draft.entries.readItem(keyword, words, space > 0 ? line.slice(space + 1) : undefined, n);
}

/** The keyword of a line: up to its first space; a line that starts with spaces: its first word. */
function keywordOf(line: string): { keyword: string; space: number } {
  const space = line.indexOf(" ");
  let keyword = space < 0 ? line : line.slice(0, space);
  if (keyword === "") keyword = line.split(" ").find((w) => w !== "") ?? "";
  return { keyword, space };
}

/**
 * A preamble item (`valid-after`, `fresh-until`, `valid-until`, `params`,
 * `shared-rand-*-value`) or the footer's first line (`directory-footer`,
 * which ends the last router entry), read from its words; false for a
 * router-entry keyword.
 */
function readDocumentItem(
  draft: ConsensusDraft,
  keyword: string,
  words: readonly string[],
  n: number,
): boolean {
  switch (keyword) {
    case "valid-after":
      draft.times.validAfter = parseTime(words[1], words[2], n);
      return true;
    case "fresh-until":
      draft.times.freshUntil = parseTime(words[1], words[2], n);
      return true;
    case "valid-until":
      draft.times.validUntil = parseTime(words[1], words[2], n);
      return true;
    case "params":
      parseParams(words, draft.params, n);
      return true;
    case "shared-rand-current-value":
      draft.fields.srvCurrent = parseSrv(words, n);
      return true;
    case "shared-rand-previous-value":
      draft.fields.srvPrevious = parseSrv(words, n);
      return true;
    case "directory-footer":
      draft.entries.end();
      return true;
    default:
      return false;
  }
}
