/**
 * Onion-service keys by role, as nominal types (house style §6.2; arti
 * `tor-hscrypto/src/pk.rs`): the identity key and its onion address, the
 * per-period blinded key, and the subcredential.
 *
 * Spec: rend-spec-v3 §1.9 [KEYS], [KEYBLIND], [SUBCRED], [ONIONADDRESS].
 *
 * @example
 * ```ts
 * import { blindPublicKey, parseOnionAddress } from "./mod.ts";
 * import { TimePeriod } from "../time/mod.ts";
 * const id = parseOnionAddress("25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion");
 * blindPublicKey(id, new TimePeriod(20000)).toBytes().length; // 32
 * ```
 *
 * @module
 */

export { KeyError, type KeyErrorKind } from "./errors.ts";
export { HsIdKey, HsIdKeypair } from "./identity.ts";
export { encodeOnionAddress, onionAddressLabel, parseOnionAddress } from "./onion_address.ts";
export {
  blindingFactor,
  blindKeypair,
  blindPublicKey,
  credential,
  HsBlindIdKey,
  HsBlindIdKeypair,
  Subcredential,
  subcredential,
} from "./blinded.ts";
