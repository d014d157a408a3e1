/**
 * The inner document (the plaintext of the second, "encrypted" layer): the
 * header lines and the introduction points.
 *
 * Spec: rend-spec-v3 §2.5.2 [HS-DESC-SECOND-LAYER] (§2.5.2.2 plaintext format) —
 * https://spec.torproject.org/rend-spec/hsdesc-encrypt.html; prop324 §9.1
 * (`flow-control`); prop327 §3.1 / hspow-spec (`pow-params`); tor
 * `hs_descriptor.c: get_inner_encrypted_layer_plaintext,
 * desc_decode_encrypted_v3, decode_intro_points, decode_pow_params`; arti
 * `inner.rs`.
 *
 * ```
 * create2-formats 2
 * [intro-auth-required ed25519] [single-onion-service]
 * [flow-control <versions> <sendme_inc>] [pow-params v1 <seed> <effort> <expiration>]
 * (introduction-point … )*
 * ```
 *
 * Role: as tor does, the whole text is first tokenized against the header
 * rules (so the header keywords may appear once in the whole document), then
 * split at each `\nintroduction-point ` into sections parsed on their own. A
 * malformed section is dropped and recorded, not fatal (tor
 * `decode_intro_points`); so is one whose certs fail `check()`. The stem
 * quirk of no final `\n` is accepted; the encoder always writes it.
 *
 * @module
 */

import { toBase64 } from "../../bytes/mod.ts";
import { CertError } from "../../cert/mod.ts";
import { NetdocSyntaxError } from "../errors.ts";
import { checkSection, type SectionRules } from "../rules.ts";
import { type NetdocItem, tokenize } from "../tokenize.ts";
import { base64Arg, decimalArg, itemError } from "../_values.ts";
import { HsDescError } from "./errors.ts";
import {
  encodeIntroPoint,
  type HsDescIntroPoint,
  type IntroPointToEncode,
  parseIntroPoint,
  type UncheckedIntroPoint,
} from "./intro_point.ts";
import type { HsDescSigningKey } from "./keys.ts";

/** The most introduction points a client accepts (`HS_CONFIG_V3_MAX_INTRO_POINTS`). */
export const MAX_INTRO_POINTS = 20;

const HEADER_RULES: SectionRules = {
  document: "inner",
  first: "create2-formats",
  rules: [
    { keyword: "create2-formats", count: "once", object: "forbidden" },
    { keyword: "intro-auth-required", count: "optional", minArgs: 1, object: "forbidden" },
    { keyword: "single-onion-service", count: "optional", object: "forbidden" },
    { keyword: "flow-control", count: "optional", minArgs: 2, object: "forbidden" },
    { keyword: "pow-params", count: "optional", minArgs: 4, object: "forbidden" },
  ],
};

/** `flow-control <version-range> <sendme_inc>` (prop324 §9.1). */
export interface FlowControl {
  /** The FlowCtrl protocol versions, e.g. `1-2`. */
  readonly versions: string;
  /** `sendme_inc`, 1–255. Tor also requires it within ±1 of its consensus `cc_sendme_inc`. */
  readonly sendmeInc: number;
}

/** `pow-params v1 <seed> <suggested-effort> <expiration>` (prop327 §3.1). */
export interface PowParams {
  /** The PoW scheme; tor knows only `v1`. */
  readonly type: "v1";
  /** The 32-byte seed. */
  readonly seed: Uint8Array;
  /** The suggested effort (uint32). */
  readonly suggestedEffort: number;
  /** When the seed expires. */
  readonly expiration: Date;
}

/** A section dropped from the descriptor, and why. */
export interface RejectedIntroPoint {
  /** 1-based line of its `introduction-point` in the inner document. */
  readonly line: number;
  /** A syntax error (dropped at parse) or a cert error (dropped at check). */
  readonly error: NetdocSyntaxError | CertError;
}

/** The header fields of the inner document. */
export interface HsDescInnerHeader {
  /** `create2-formats`, the numbers that parsed (2 is always among them). */
  readonly create2Formats: readonly number[];
  /** `intro-auth-required` arguments, if the line is present. */
  readonly introAuthRequired: readonly string[] | undefined;
  /** Whether `single-onion-service` is present. */
  readonly singleOnionService: boolean;
  /** `flow-control`, if present. */
  readonly flowControl: FlowControl | undefined;
  /** `pow-params`, if present. */
  readonly powParams: PowParams | undefined;
  /** Header items with unknown keywords (kept, ignored). */
  readonly unrecognized: readonly NetdocItem[];
}

/** A parsed inner document whose intro-point certs are not checked yet. */
export interface UncheckedHsDescInner extends HsDescInnerHeader {
  /** The sections that parsed. */
  readonly introPoints: readonly UncheckedIntroPoint[];
  /** Sections that did not parse. */
  readonly rejectedIntroPoints: readonly RejectedIntroPoint[];
}

/** A checked inner document. */
export interface HsDescInner extends HsDescInnerHeader {
  /** The intro points whose certs verified (at most {@link MAX_INTRO_POINTS}). */
  readonly introPoints: readonly HsDescIntroPoint[];
  /** Sections dropped at parse or at check. */
  readonly rejectedIntroPoints: readonly RejectedIntroPoint[];
}

/**
 * Parses the inner document.
 *
 * @param text The plaintext as a binary string (cut at its first NUL).
 * @returns The document; malformed intro-point sections are in `rejectedIntroPoints`.
 * @throws {NetdocSyntaxError} With `document: "inner"` when the header is malformed.
 */
export function parseHsDescInner(text: string): UncheckedHsDescInner {
  const section = checkSection(tokenize(text, { document: "inner" }), HEADER_RULES);
  const firstIntro = section.items.findIndex((i) => i.keyword === "introduction-point");
  const headerItems = firstIntro < 0 ? section.items : section.items.slice(0, firstIntro);
  const header = parseHeader(section.get.bind(section), headerItems);
  const introPoints: UncheckedIntroPoint[] = [];
  const rejectedIntroPoints: RejectedIntroPoint[] = [];
  const chunks = text.split("\nintroduction-point ");
  let lineOffset = chunks[0]!.split("\n").length;
  for (const chunk of chunks.slice(1)) {
    try {
      introPoints.push(parseIntroPoint(`introduction-point ${chunk}`, lineOffset));
    } catch (error) {
      if (!(error instanceof NetdocSyntaxError)) throw error;
      rejectedIntroPoints.push({ line: lineOffset + 1, error });
    }
    lineOffset += chunk.split("\n").length;
  }
  return { ...header, introPoints, rejectedIntroPoints };
}

type Getter = (keyword: string) => NetdocItem | undefined;

function parseHeader(get: Getter, headerItems: readonly NetdocItem[]): HsDescInnerHeader {
  const known = new Set(HEADER_RULES.rules.map((r) => r.keyword));
  const create2 = get("create2-formats")!;
  // CONCAT_ARGS, split on " "; numbers outside 1–65535 are ignored (tor decode_create2_list).
  const create2Formats = create2.rest.split(" ")
    .filter((s) => /^[0-9]{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535)
    .map(Number);
  if (!create2Formats.includes(2)) {
    throw itemError("BadArgument", "inner", create2, "create2-formats does not list 2 (ntor)");
  }
  const auth = get("intro-auth-required");
  // tor decode_auth_type looks at the first argument only, by prefix.
  if (auth !== undefined && !auth.args[0]!.startsWith("ed25519")) {
    throw itemError("BadArgument", "inner", auth, "no known intro-auth-required type");
  }
  const flow = get("flow-control");
  const pow = get("pow-params");
  return {
    create2Formats,
    introAuthRequired: auth?.args,
    singleOnionService: get("single-onion-service") !== undefined,
    flowControl: flow === undefined ? undefined : parseFlowControl(flow),
    powParams: pow === undefined ? undefined : parsePowParams(pow),
    unrecognized: headerItems.filter((i) => !known.has(i.keyword)),
  };
}

function parseFlowControl(item: NetdocItem): FlowControl {
  const sendmeInc = Number(decimalArg("inner", item, 1, 255n));
  if (sendmeInc === 0) throw itemError("BadArgument", "inner", item, "sendme_inc 0 is invalid");
  return { versions: item.args[0]!, sendmeInc };
}

function parsePowParams(item: NetdocItem): PowParams {
  if (item.args[0] !== "v1") {
    throw itemError("BadArgument", "inner", item, `unknown PoW type "${item.args[0]}"`);
  }
  const seed = base64Arg("inner", item, 1, 32);
  const suggestedEffort = Number(decimalArg("inner", item, 2, 0xffffffffn));
  const expiration = parseIsoNoSpace(item.args[3]!);
  if (expiration === undefined) {
    throw itemError("BadArgument", "inner", item, `bad expiration "${item.args[3]}"`);
  }
  return { type: "v1", seed, suggestedEffort, expiration };
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC (tor `parse_iso_time_nospace`). */
function parseIsoNoSpace(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return undefined;
  }
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** Options of {@link checkHsDescInner}. */
export interface CheckHsDescInnerOptions {
  /** `KP_hs_desc_sign` from the checked outer document. */
  signingKey: HsDescSigningKey;
  /** The time to check the certs' expiry against. */
  now: Date;
}

/**
 * Checks every intro point's certs; those that fail are dropped and recorded
 * (tor). More than {@link MAX_INTRO_POINTS} usable intro points reject the
 * descriptor.
 *
 * @param inner The parsed document.
 * @param options The descriptor signing key and `now`.
 * @returns The checked document.
 * @throws {HsDescError} Stage `inner-verify`, kind `TooManyIntroPoints`.
 */
export function checkHsDescInner(
  inner: UncheckedHsDescInner,
  options: CheckHsDescInnerOptions,
): HsDescInner {
  const introPoints: HsDescIntroPoint[] = [];
  const rejectedIntroPoints = [...inner.rejectedIntroPoints];
  for (const ip of inner.introPoints) {
    try {
      introPoints.push(ip.check(options));
    } catch (error) {
      if (!(error instanceof CertError)) throw error;
      rejectedIntroPoints.push({ line: ip.line, error });
    }
  }
  if (introPoints.length > MAX_INTRO_POINTS) {
    throw new HsDescError(
      "inner-verify",
      "TooManyIntroPoints",
      `${introPoints.length} introduction points, a client accepts at most ${MAX_INTRO_POINTS}`,
    );
  }
  rejectedIntroPoints.sort((a, b) => a.line - b.line);
  return { ...inner, introPoints, rejectedIntroPoints };
}

/** What {@link encodeHsDescInner} writes. */
export interface HsDescInnerToEncode {
  /** Adds `intro-auth-required ed25519` (no service sets it in practice). */
  readonly introAuthRequired?: boolean;
  /** Adds `single-onion-service`. */
  readonly singleOnionService?: boolean;
  /** Adds `flow-control`. */
  readonly flowControl?: FlowControl;
  /** Adds `pow-params`. */
  readonly powParams?: PowParams;
  /** The intro points, with certs made by the new signing key. */
  readonly introPoints: readonly IntroPointToEncode[];
}

/**
 * Writes the inner document in tor's order (`get_inner_encrypted_layer_plaintext`),
 * every line ending in `\n`.
 *
 * @param inner The fields.
 * @returns The plaintext.
 */
export function encodeHsDescInner(inner: HsDescInnerToEncode): string {
  let out = "create2-formats 2\n";
  if (inner.introAuthRequired) out += "intro-auth-required ed25519\n";
  if (inner.singleOnionService) out += "single-onion-service\n";
  if (inner.flowControl !== undefined) {
    out += `flow-control ${inner.flowControl.versions} ${inner.flowControl.sendmeInc}\n`;
  }
  const pow = inner.powParams;
  if (pow !== undefined) {
    const expiration = pow.expiration.toISOString().slice(0, 19);
    out += `pow-params ${pow.type} ${toBase64(pow.seed)} ${pow.suggestedEffort} ${expiration}\n`;
  }
  return out + inner.introPoints.map(encodeIntroPoint).join("");
}
