/**
 * Onion-service keys by role, as nominal types (house style §6.2; arti
 * `tor-hscrypto/src/pk.rs`): the identity key and its onion address, its key
 * files (tor's and PEM), the per-period blinded key, the subcredential, the
 * descriptor revision counter, and a relay's ed25519 identity.
 *
 * Spec: rend-spec-v3 §1.9, Appendix A [KEYBLIND], §2.1 [SUBCRED],
 * §6 [ONIONADDRESS], Appendix F [HIDSERVDIR-FORMAT].
 *
 * Role: secrets stay inside {@link HsIdKeypair} / {@link HsBlindIdKeypair},
 * which never print them. Only `key_file.ts`, `secret_file.ts` and
 * `passphrase.ts` (passphrase files, systemd credentials) do file I/O.
 *
 * @example
 * ```ts
 * import { blindPublicKey, encodeOnionAddress, HsIdKeypair, parseOnionAddress } from "./mod.ts";
 * import { seededRng } from "../crypto/mod.ts";
 * import { TimePeriod } from "../time/mod.ts";
 * const key = HsIdKeypair.generate(seededRng("example"));
 * const address = encodeOnionAddress(key.public);
 * parseOnionAddress(address).equals(key.public); // true
 * blindPublicKey(key.public, new TimePeriod(20000)).toBytes().length; // 32
 * ```
 *
 * @module
 */

export { KeyError, type KeyErrorKind, type KeyErrorOptions } from "./errors.ts";
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
export {
  decodeHostnameFile,
  decodeTorPublicKeyFile,
  decodeTorSecretKeyFile,
  encodeHostnameFile,
  encodeTorPublicKeyFile,
  encodeTorSecretKeyFile,
  type KeyFileOptions,
  TOR_PUBLIC_KEY_HEADER,
  TOR_SECRET_KEY_HEADER,
} from "./tor_key_file.ts";
export { decodePkcs8Pem, encodePkcs8Pem, PKCS8_ED25519_PREFIX } from "./pem.ts";
export { encodeEncryptedPkcs8Pem, isEncryptedPem, type PemKeyOptions } from "./pem.ts";
export {
  decodeIdentityKey,
  type IdentityKeyFormat,
  type LoadedIdentityKey,
  loadIdentityKey,
  TOR_KEY_FILE_NAMES,
  writeIdentityKeyPem,
  type WriteKeyOptions,
  writeTorKeyFiles,
} from "./key_file.ts";
export { type DecodeIdentityKeyOptions, type LoadIdentityKeyOptions } from "./key_file.ts";
export {
  credentialPassphrase,
  DEFAULT_CREDENTIAL_NAME,
  PassphraseError,
  type PassphraseErrorKind,
  type PassphraseErrorOptions,
  readPassphraseFile,
} from "./passphrase.ts";
export { readSecretFile, SecretFileError } from "./secret_file.ts";
export {
  obRevisionCounter,
  type ObRevisionCounterOptions,
  RevisionCounter,
} from "./revision_counter.ts";
export { RelayEd25519Id } from "./relay_id.ts";
