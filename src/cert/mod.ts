/**
 * Tor's Ed25519 certificates (like arti's tor-cert): encode, decode to an
 * unchecked cert, and check it into a usable one.
 *
 * Spec: cert-spec §2.1, §2.2.1, A.1 — https://spec.torproject.org/cert-spec.html;
 * rend-spec-v3 Appendix E (the onion-service cert types 08, 09, 0B).
 *
 * Role: pure functions on bytes; never touches the clock (the caller passes
 * `now`) or the network.
 *
 * @example
 * ```ts
 * import { CertType, decodeEd25519Cert, Ed25519Identity, signEd25519Cert } from "./mod.ts";
 * import { HsIdKeypair } from "../keys/mod.ts";
 * const signer = HsIdKeypair.fromSeed(new Uint8Array(32).fill(7));
 * const cert = signEd25519Cert({
 *   certType: CertType.HS_IP_AUTH,
 *   expirationHours: 500000,
 *   certifiedKey: Ed25519Identity.fromBytes(new Uint8Array(32).fill(9)),
 * }, signer);
 * const checked = decodeEd25519Cert(cert.encode()).check({ now: new Date(0) });
 * checked.signingKey.equals(Ed25519Identity.fromBytes(signer.public.toBytes())); // true
 * ```
 *
 * @module
 */

export { CertError, type CertErrorKind } from "./errors.ts";
export { Ed25519Identity } from "./ed25519_identity.ts";
export {
  CERT_KEY_TYPE_ED25519,
  CERT_VERSION,
  type CertExtension,
  CertType,
  type CheckCertOptions,
  decodeEd25519Cert,
  Ed25519Cert,
  type Ed25519CertFields,
  EXT_FLAG_AFFECTS_VALIDATION,
  EXT_SIGNED_WITH_KEY,
  UncheckedEd25519Cert,
} from "./ed25519_cert.ts";
export { type CertSigner, type CertToSign, encodeEd25519Cert, signEd25519Cert } from "./encode.ts";
