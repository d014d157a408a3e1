/**
 * The consensus parser's main loop as it was before the single-pass scanner
 * (split into lines, every read line into words; commit history:
 * src/netdoc/consensus.ts), kept as the reference that the differential test
 * compares the current parser with. The leaf parsers (times, `pr`, SRVs) and
 * the keyword set, which the rewrite did not change, are the module's own.
 * Not used by the balancer.
 *
 * @module
 */

import { fromBase64, toHex } from "../../src/bytes/mod.ts";
import { type NetdocErrorKind, NetdocSyntaxError } from "../../src/netdoc/errors.ts";
import {
  type ConsensusRelay,
  KEYWORDS,
  type MicrodescConsensus,
  parseProtocols,
  parseSrv,
  parseTime,
} from "../../src/netdoc/consensus.ts";

function syntaxError(kind: NetdocErrorKind, detail: string, line?: number): NetdocSyntaxError {
  return new NetdocSyntaxError(kind, "consensus", detail, { line });
}

/** `r nickname identity published-date published-time IP ORPort DirPort`. */
function parseRouterLine(words: readonly string[], n: number): ConsensusRelay {
  if (words.length < 8) throw syntaxError("TooFewArguments", "bad router line", n);
  let id: Uint8Array;
  try {
    id = fromBase64(words[2]!);
  } catch {
    throw syntaxError("BadArgument", `bad router identity "${words[2]}"`, n);
  }
  if (id.length !== 20) throw syntaxError("BadArgument", "router identity is not 20 bytes", n);
  return {
    nickname: words[1]!,
    fingerprint: toHex(id).toUpperCase(),
    address: words[5]!,
    orPort: Number(words[6]),
    microdescDigest: "",
    flags: new Set(),
  };
}

/**
 * Parses a microdesc-flavoured consensus document.
 *
 * @throws {NetdocSyntaxError} When a field the onion-service code needs is
 *   missing or malformed. Unknown lines are ignored.
 */
export function referenceParseMicrodescConsensus(text: string): MicrodescConsensus {
  const lines = text.split("\n");
  const header: Partial<Record<"validAfter" | "freshUntil" | "validUntil", number>> = {};
  const params = new Map<string, number>();
  const result: Omit<MicrodescConsensus, "validAfter" | "freshUntil" | "validUntil"> = {
    params,
    relays: [],
  };
  // Thousands of relays share a few `s` and `pr` lines: parse each distinct line
  // once and share the (read-only) result.
  const flagSets = new Map<string, ReadonlySet<string>>();
  const protocolMaps = new Map<string, ReadonlyMap<string, ReadonlySet<number>>>();
  let relay: ConsensusRelay | undefined;
  const finish = () => {
    if (relay !== undefined && relay.microdescDigest !== "") result.relays.push(relay);
    relay = undefined;
  };
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const n = index + 1;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    // Most lines (signatures, `w`, `a`, …) are skipped on their keyword alone.
    const space = line.indexOf(" ");
    let keyword = space < 0 ? line : line.slice(0, space);
    if (keyword === "") keyword = line.split(" ").find((w) => w !== "") ?? "";
    if (!KEYWORDS.has(keyword)) continue;
    if (relay !== undefined && (keyword === "s" || keyword === "pr") && space > 0) {
      // The arguments as written are the cache key; a miss parses them below.
      const args = line.slice(space + 1);
      if (keyword === "s") {
        const flags = flagSets.get(args);
        if (flags !== undefined) {
          relay.flags = flags;
          continue;
        }
      } else {
        const protocols = protocolMaps.get(args);
        if (protocols !== undefined) {
          relay.protocols = protocols;
          continue;
        }
      }
    }
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
        if (relay !== undefined) relay.version = words.slice(1).join(" ");
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
