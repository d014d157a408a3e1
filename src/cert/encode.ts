/**
 * Encodes and signs Ed25519 certificates the way tor makes them for onion
 * services.
 *
 * Spec: cert-spec §2.1 "Certificates", §2.2.1; tor
 * `torcert.c: tor_cert_create_raw`, trunnel `ed25519_cert_encode`.
 *
 * Role: pure functions; the signer is passed in (a keypair of `src/keys/` or
 * an hsdesc signing key) and never kept.
 *
 * @module
 */

import { concat } from "../bytes/mod.ts";
import {
  CERT_KEY_TYPE_ED25519,
  CERT_VERSION,
  Ed25519Cert,
  type Ed25519CertFields,
  EXT_SIGNED_WITH_KEY,
} from "./ed25519_cert.ts";
import { Ed25519Identity } from "./ed25519_identity.ts";

/** Anything that can sign as an ed25519 key: keypairs of `src/keys/` and the hsdesc keys. */
export interface CertSigner {
  /** The signer's public key. */
  readonly public: { toBytes(): Uint8Array };
  /** An ed25519 signature over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** Builds the signed part of a certificate. */
function encodeFields(fields: Ed25519CertFields): Uint8Array {
  const { certType, expirationHours, certKeyType, extensions } = fields;
  checkUint("CERT_TYPE", certType, 0xff);
  checkUint("EXPIRATION_DATE", expirationHours, 0xffffffff);
  checkUint("CERT_KEY_TYPE", certKeyType, 0xff);
  checkUint("N_EXTENSIONS", extensions.length, 0xff);
  const head = new Uint8Array(7);
  const view = new DataView(head.buffer);
  view.setUint8(0, CERT_VERSION);
  view.setUint8(1, certType);
  view.setUint32(2, expirationHours);
  view.setUint8(6, certKeyType);
  const parts: Uint8Array[] = [
    head,
    fields.certifiedKey.toBytes(),
    new Uint8Array([extensions.length]),
  ];
  for (const ext of extensions) {
    checkUint("ExtType", ext.type, 0xff);
    checkUint("ExtFlags", ext.flags, 0xff);
    checkUint("ExtLength", ext.data.length, 0xffff);
    if (ext.type === EXT_SIGNED_WITH_KEY && ext.data.length !== 32) {
      throw new RangeError("Cannot encode cert: a 0x04 extension holds exactly 32 bytes");
    }
    const extHead = new Uint8Array(4);
    new DataView(extHead.buffer).setUint16(0, ext.data.length);
    extHead[2] = ext.type;
    extHead[3] = ext.flags;
    parts.push(extHead, ext.data);
  }
  return concat(...parts);
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot encode cert: ${name} ${value} is out of range`);
  }
}

/**
 * Encodes a certificate from its fields and a signature (no signing).
 *
 * @param fields The signed fields.
 * @param signature The 64-byte signature to append.
 * @returns The encoded certificate.
 * @throws {RangeError} When a field is out of range or a 0x04 extension is not 32 bytes.
 */
export function encodeEd25519Cert(fields: Ed25519CertFields, signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) {
    throw new RangeError("Cannot encode cert: the signature has 64 bytes");
  }
  return concat(encodeFields(fields), signature);
}

/** The fields {@link signEd25519Cert} needs: the 0x04 extension is added for the signer. */
export interface CertToSign {
  /** CERT_TYPE. */
  readonly certType: number;
  /** EXPIRATION_DATE in hours since the epoch. */
  readonly expirationHours: number;
  /** CERTIFIED_KEY. */
  readonly certifiedKey: Ed25519Identity;
}

/**
 * Makes a certificate the way tor does for onion services
 * (`tor_cert_create_ed25519` with `CERT_FLAG_INCLUDE_SIGNING_KEY`):
 * CERT_KEY_TYPE 01, one 0x04 extension (flags 0) holding the signer's public
 * key, signed by `signer`.
 *
 * @param cert Type, expiry and certified key.
 * @param signer The key that signs (its public key goes into the 0x04 extension).
 * @returns The checked certificate.
 */
export function signEd25519Cert(cert: CertToSign, signer: CertSigner): Ed25519Cert {
  const signerKey = Ed25519Identity.fromBytes(signer.public.toBytes());
  const fields: Ed25519CertFields = {
    certType: cert.certType,
    expirationHours: cert.expirationHours,
    certKeyType: CERT_KEY_TYPE_ED25519,
    certifiedKey: cert.certifiedKey,
    extensions: [{ type: EXT_SIGNED_WITH_KEY, flags: 0, data: signerKey.toBytes() }],
  };
  const body = encodeFields(fields);
  const signature = signer.sign(body);
  return new Ed25519Cert(fields, signerKey, concat(body, signature));
}
