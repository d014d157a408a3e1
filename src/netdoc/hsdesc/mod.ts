/**
 * The v3 onion-service descriptor codec, layered like arti's: the outer
 * document, the middle (first-layer) and inner (second-layer) plaintexts,
 * each with a parser and a matching encoder; the layer encryption; client
 * authorization; the decode pipeline for backend descriptors and the builder
 * for frontend descriptors.
 *
 * Spec: rend-spec-v3 §2.4 [DESC-OUTER], §2.5 [HS-DESC-ENC] ([HS-DESC-FIRST-LAYER],
 * [HS-DESC-SECOND-LAYER], [HS-DESC-ENCRYPTION-KEYS]), §1.9.1 [CLIENT-AUTH] —
 * https://spec.torproject.org/rend-spec/; tor `feature/hs/hs_descriptor.c`.
 *
 * ```
 * decodeHsDesc(text, {identity, periods, now, clientKey?})
 *   parseHsDescOuter ─► UncheckedHsDescOuter ─check()─► HsDescOuter     (outer-parse, outer-verify)
 *   decryptLayer("middle") ─► parseHsDescMiddle ─► HsDescMiddle           (decrypt, inner-parse)
 *   decryptDescriptorCookie? ─► decryptLayer("inner")                    (decrypt)
 *   parseHsDescInner ─► UncheckedHsDescInner ─checkHsDescInner─► HsDescInner (inner-parse, inner-verify)
 * buildHsDesc(input, {rng, shuffle?, maxSize?})
 *   recertify intro points ─► encodeHsDescInner ─► encryptLayer ─► encodeHsDescMiddle
 *   ─► encryptLayer (padded) ─► encodeHsDescOuter (signed)
 * ```
 *
 * Role: a parsed document cannot be used before its signatures and times are
 * checked (`Unchecked…` types). Never touches the network or the clock.
 *
 * @example
 * ```ts
 * import { buildHsDesc, decodeHsDesc } from "./mod.ts";
 * import { HsIdKeypair } from "../../keys/mod.ts";
 * import { TimePeriod } from "../../time/mod.ts";
 * import { seededRng } from "../../crypto/mod.ts";
 * const identity = HsIdKeypair.fromSeed(new Uint8Array(32).fill(1));
 * const period = new TimePeriod(21915);
 * const now = new Date("2030-01-01T13:00:00Z");
 * const built = await buildHsDesc(
 *   { identity, period, revisionCounter: 1, now, introPoints: [] },
 *   { rng: seededRng("example") },
 * );
 * const desc = await decodeHsDesc(built.text, { identity: identity.public, periods: [period], now });
 * desc.outer.revisionCounter; // 1n
 * ```
 *
 * @module
 */

export {
  HsDescError,
  type HsDescErrorKind,
  type HsDescStage,
  HsDescTooLargeError,
} from "./errors.ts";
export {
  DescAuthEphemeralKey,
  DescAuthEphemeralKeypair,
  DescriptorCookie,
  HsClientDescEncKey,
  HsClientDescEncKeypair,
  HsDescSigningKey,
  HsDescSigningKeypair,
  HsIntroPtSessionIdKey,
  HsSvcNtorKey,
  IntroPtNtorKey,
} from "./keys.ts";
export { checkLegacyCrossCert, type LegacyIntroKey, parseLegacyIntroKey } from "./legacy_key.ts";
export {
  describeLinkSpecifier,
  type LinkSpecifier,
  LinkSpecifiers,
  linkSpecifierType,
} from "./link_specifiers.ts";
export {
  decryptLayer,
  deriveLayerKeys,
  encryptLayer,
  type HsDescEncryption,
  type HsDescLayer,
  type LayerKeys,
  MIDDLE_PADDING_MULTIPLE,
  padMiddlePlaintext,
} from "./desc_enc.ts";
export {
  type CheckHsDescOuterOptions,
  encodeHsDescOuter,
  HsDescOuter,
  type HsDescOuterFields,
  type HsDescOuterToEncode,
  MAX_DESCRIPTOR_SIZE,
  MAX_LIFETIME_MINUTES,
  parseHsDescOuter,
  type ParseHsDescOuterOptions,
  UncheckedHsDescOuter,
} from "./outer.ts";
export {
  type AuthClient,
  encodeHsDescMiddle,
  type HsDescMiddle,
  type HsDescMiddleToEncode,
  parseHsDescMiddle,
} from "./middle.ts";
export {
  type CheckIntroPointOptions,
  encodeIntroPoint,
  HsDescIntroPoint,
  type IntroPointFields,
  type IntroPointToEncode,
  parseIntroPoint,
  UncheckedIntroPoint,
} from "./intro_point.ts";
export {
  checkHsDescInner,
  type CheckHsDescInnerOptions,
  encodeHsDescInner,
  type FlowControl,
  type HsDescInner,
  type HsDescInnerHeader,
  type HsDescInnerToEncode,
  MAX_INTRO_POINTS,
  parseHsDescInner,
  type PowParams,
  type RejectedIntroPoint,
  type UncheckedHsDescInner,
} from "./inner.ts";
export {
  buildAuthClient,
  type BuildAuthClientOptions,
  type ClientAuthKeyFile,
  type DecryptCookieOptions,
  decryptDescriptorCookie,
  encodeAuthorizedClientFile,
  encodeClientAuthKeyFile,
  parseAuthorizedClientFile,
  parseClientAuthKeyFile,
} from "./client_auth.ts";
export { decodeHsDesc, type DecodeHsDescOptions, type HsDesc } from "./decode.ts";
export {
  buildHsDesc,
  type BuildHsDescOptions,
  type BuiltHsDesc,
  CertCache,
  commonFlowControl,
  type HsDescBuildInput,
  type IntroPointSource,
  type OfflineIdentity,
  type Shuffle,
  shuffleWithRng,
} from "./build.ts";
export { authClientLines, MAX_AUTHORIZED_CLIENTS } from "./client_limit.ts";
