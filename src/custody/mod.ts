/**
 * Key custody: offline key bundles (rend-spec-v3 §1.7), so that a frontend's
 * identity key can stay on an isolated machine while balancers publish its
 * descriptors.
 *
 * Role: `bundle.ts` makes and holds bundles, `bundle_text.ts` is their pure
 * codec, `bundle_file.ts` reads and writes bundle files (0600, refused when
 * group or others may read them).
 *
 * @module
 */

export { BundleError, type BundleErrorKind } from "./errors.ts";
export {
  BUNDLE_KEYWORD,
  BUNDLE_VERSION,
  type BundleSchedule,
  CERT_MARGIN_SECONDS,
  describeSpan,
  halfPeriodSeconds,
  type MakeBundleOptions,
  makeOfflineBundle,
  MAX_BUNDLE_PERIODS,
  OfflineKeyBundle,
  type PeriodSigner,
  scheduleFor,
} from "./bundle.ts";
export {
  type DecodeBundleOptions,
  decodeOfflineBundle,
  type EncodeBundleOptions,
  encodeOfflineBundle,
  looksLikeOfflineBundle,
} from "./bundle_text.ts";
export { loadOfflineBundle, writeOfflineBundle } from "./bundle_file.ts";
