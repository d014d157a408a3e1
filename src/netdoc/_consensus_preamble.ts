/**
 * The preamble items of a consensus that the onion-service code needs:
 * `valid-after`, `fresh-until`, `valid-until`, `params` and the shared
 * random values, each parsed from its words.
 *
 * Spec: dir-spec §3.4.1 "Vote and consensus status document formats" (the
 * preamble) — https://spec.torproject.org/dir-spec/consensus-formats.html;
 * tor `networkstatus_parse_vote_from_string`.
 *
 * Role: used only by `consensus.ts`. Parses text; never touches the network.
 *
 * @module
 */

import { BytesError } from "../bytes/mod.ts";
import { SharedRandomValue } from "../time/mod.ts";
import { type NetdocErrorKind, NetdocSyntaxError } from "./errors.ts";

/** A syntax error of the consensus, at `line` when known (also used by `_consensus_entry.ts`). */
export function syntaxError(
  kind: NetdocErrorKind,
  detail: string,
  line?: number,
): NetdocSyntaxError {
  return new NetdocSyntaxError(kind, "consensus", detail, { line });
}

/** The three times of a consensus, in Unix seconds, as far as they were read. */
export type ConsensusTimes = Partial<Record<"validAfter" | "freshUntil" | "validUntil", number>>;

/**
 * Parses `YYYY-MM-DD HH:MM:SS` (UTC) into Unix seconds: the value of
 * `"valid-after" SP YYYY-MM-DD SP HH:MM:SS` and its siblings.
 *
 * @param date The first word after the keyword.
 * @param time The second word after the keyword.
 * @param line The line number for errors.
 * @throws {NetdocSyntaxError} When the two words are not such a time.
 */
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

/**
 * `"params" SP [Parameters]`, `Parameter ::= Keyword '=' Int32`: adds each
 * parameter of the line's words to `into`.
 *
 * @throws {NetdocSyntaxError} For a word that is not `Keyword=Int32`.
 */
export function parseParams(words: readonly string[], into: Map<string, number>, line: number) {
  for (const word of words.slice(1)) {
    const m = /^([^=]+)=(-?\d+)$/.exec(word);
    if (m === null) throw syntaxError("BadArgument", `bad parameter "${word}"`, line);
    into.set(m[1]!, Number(m[2]));
  }
}

/**
 * A `shared-rand-*-value` line's value, from its words:
 * `"shared-rand-current-value" SP NumReveals SP Value`, where `Value` is 32
 * bytes in base64.
 *
 * @throws {NetdocSyntaxError} When `Value` is not base64 of 32 bytes.
 */
export function parseSrv(words: readonly string[], line: number): SharedRandomValue {
  try {
    return SharedRandomValue.fromBase64(words[2] ?? "");
  } catch (error) {
    if (!(error instanceof BytesError)) throw error;
  }
  throw syntaxError(
    "BadArgument",
    `bad shared random value "${words.slice(1).join(" ")}"`,
    line,
  );
}

/**
 * The three times, once the whole document is read: each must be present
 * (the preamble has each "exactly once"; a repeated one is not rejected:
 * the last is kept), and valid-after < fresh-until <= valid-until.
 *
 * @throws {NetdocSyntaxError} When one is missing or they are out of order.
 */
export function checkTimes(times: ConsensusTimes): Required<ConsensusTimes> {
  const { validAfter, freshUntil, validUntil } = times;
  if (validAfter === undefined || freshUntil === undefined || validUntil === undefined) {
    throw syntaxError("MissingKeyword", "valid-after, fresh-until or valid-until is missing");
  }
  if (!(validAfter < freshUntil && freshUntil <= validUntil)) {
    throw syntaxError("BadArgument", "its times are out of order");
  }
  return { validAfter, freshUntil, validUntil };
}
