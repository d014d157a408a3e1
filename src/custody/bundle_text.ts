/**
 * The text of an offline key bundle file, version 1, each line `keyword arguments`:
 * ```
 * onionbalance-offline-keys 1
 * onion-address <56 characters>.onion
 * period-length <minutes>
 * rotation-offset <seconds>
 * created <ISO 8601 UTC>
 * periods <first> <last>
 * cert <period> <base64 of the type-08 cert>        -- one per period, in order
 * signing-key-secret                                -- S, a PKCS#8 Ed25519 container
 * -----BEGIN PRIVATE KEY----- (or ENCRYPTED PRIVATE KEY) … -----END …-----
 * revision-key                                      -- K, a PKCS#8 Ed25519 container
 * -----BEGIN PRIVATE KEY----- (or ENCRYPTED PRIVATE KEY) … -----END …-----
 * digest sha3-256 <hex of SHA3-256 of every byte before this line>
 * ```
 * The two 32-byte secrets (see `bundle.ts`) are stored as PKCS#8 Ed25519
 * private keys so that, with a passphrase, they are standard `ENCRYPTED
 * PRIVATE KEY` blocks (PBES2) that `openssl pkey` reads. The digest catches a
 * damaged file; the certificates are verified against the identity at every
 * load.
 *
 * Spec: rend-spec-v3 §1.7, [KEYBLIND], [DESC-OUTER]; cert-spec §2.1; RFC 5958
 * and RFC 8018 (PKCS#8, PBES2).
 *
 * Role: pure codec (`bundle_file.ts` reads and writes files). Messages name
 * the file and never contain key material.
 *
 * @module
 */

import { bytesEqual, fromBase64, fromHex, toBase64, toHex } from "../bytes/mod.ts";
import { CertType, decodeEd25519Cert, type Ed25519Cert, Ed25519Identity } from "../cert/mod.ts";
import { sha3 } from "../crypto/mod.ts";
import {
  blindPublicKey,
  decodePkcs8Pem,
  encodeEncryptedPkcs8Pem,
  encodePkcs8Pem,
  type HsIdKey,
  HsIdKeypair,
  KeyError,
  parseOnionAddress,
} from "../keys/mod.ts";
import { TimePeriod } from "../time/mod.ts";
import {
  BUNDLE_KEYWORD,
  BUNDLE_VERSION,
  deriveSigningKey,
  MAX_BUNDLE_PERIODS,
  OfflineKeyBundle,
} from "./bundle.ts";
import { BundleError } from "./errors.ts";

/** Options of {@link encodeOfflineBundle}. */
export interface EncodeBundleOptions {
  /** Encrypt the two secrets (PKCS#8 PBES2) with this passphrase. */
  passphrase?: Uint8Array;
}

/** The bundle's text (see the module comment), ending in a newline. */
export function encodeOfflineBundle(
  bundle: OfflineKeyBundle,
  options: EncodeBundleOptions = {},
): string {
  const { signingSecret, revisionKey } = bundle.secretsForEncoding();
  const pem = (secret: Uint8Array) => {
    const keypair = HsIdKeypair.fromSeed(secret);
    secret.fill(0);
    return options.passphrase === undefined
      ? encodePkcs8Pem(keypair)
      : encodeEncryptedPkcs8Pem(keypair, options.passphrase);
  };
  const lines = [
    `${BUNDLE_KEYWORD} ${BUNDLE_VERSION}`,
    `onion-address ${bundle.address}.onion`,
    `period-length ${bundle.schedule.lengthMinutes}`,
    `rotation-offset ${bundle.schedule.rotationOffsetSeconds}`,
    `created ${new Date(bundle.createdAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    `periods ${bundle.firstPeriod} ${bundle.last.number}`,
    ...bundle.certs.map((c, i) => `cert ${bundle.firstPeriod + i} ${toBase64(c.encode())}`),
  ];
  const body = `${lines.join("\n")}\nsigning-key-secret\n${pem(signingSecret)}` +
    `revision-key\n${pem(revisionKey)}`;
  return `${body}digest sha3-256 ${toHex(sha3(body))}\n`;
}

/** Whether `text` starts like a bundle (to tell it from a key file). */
export function looksLikeOfflineBundle(text: string | Uint8Array): boolean {
  const head = typeof text === "string"
    ? text.slice(0, 64)
    : new TextDecoder("latin1").decode(text.subarray(0, 64));
  return head.trimStart().startsWith(`${BUNDLE_KEYWORD} `);
}

/** Options of {@link decodeOfflineBundle}. */
export interface DecodeBundleOptions {
  /** The file, for messages. */
  file?: string;
  /** The passphrase of an encrypted bundle. */
  passphrase?: Uint8Array;
}

/**
 * Parses and verifies a bundle: its digest, every certificate (type 08,
 * signed by the period's blinded key of the bundle's identity, certifying the
 * signing key derived from the bundle's secret), and the secrets.
 *
 * @throws {BundleError} `BadBundle`, `BadDigest`, `BadCertificate` or `Passphrase`.
 */
export function decodeOfflineBundle(
  text: string,
  options: DecodeBundleOptions = {},
): OfflineKeyBundle {
  const subject = options.file === undefined
    ? "offline key bundle"
    : `offline key bundle "${options.file}"`;
  const bad = (message: string) =>
    new BundleError("BadBundle", `Cannot read ${subject}: ${message}`);
  const normalized = text.replace(/\r\n/g, "\n");
  const digestAt = normalized.lastIndexOf("\ndigest ");
  if (!looksLikeOfflineBundle(normalized)) throw bad(`the first line is not "${BUNDLE_KEYWORD} 1"`);
  if (digestAt < 0) throw bad(`no "digest" line (a truncated file?)`);
  const body = normalized.slice(0, digestAt + 1);
  const digestLine = normalized.slice(digestAt + 1).trim();
  const digest = /^digest sha3-256 ([0-9a-f]{64})$/.exec(digestLine)?.[1];
  if (digest === undefined) throw bad(`the last line is not "digest sha3-256 <64 hex digits>"`);
  if (!bytesEqual(fromHex(digest), sha3(body))) {
    throw new BundleError(
      "BadDigest",
      `Cannot read ${subject}: its digest does not match its content (the file is damaged or was edited)`,
    );
  }
  const lines = body.trimStart().split("\n");
  let at = 0;
  const next = (keyword: string): string[] => {
    const line = lines[at++] ?? "";
    const parts = line.split(" ");
    if (parts[0] !== keyword) throw bad(`line ${at}: expected "${keyword}", found "${parts[0]}"`);
    return parts.slice(1);
  };
  const version = next(BUNDLE_KEYWORD);
  if (version.length !== 1 || version[0] !== String(BUNDLE_VERSION)) {
    throw bad(`version "${version.join(" ")}" is not one this program reads (${BUNDLE_VERSION})`);
  }
  const [addressText] = next("onion-address");
  let identity: HsIdKey;
  try {
    identity = parseOnionAddress(addressText ?? "");
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw bad(`line ${at}: ${cause.message}`);
  }
  const integer = (value: string | undefined, what: string) => {
    const n = Number(value);
    if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
      throw bad(`line ${at}: ${what} "${value}" is not a non-negative integer`);
    }
    return n;
  };
  const lengthMinutes = integer(next("period-length")[0], "period length");
  const rotationOffsetSeconds = integer(next("rotation-offset")[0], "rotation offset");
  if (lengthMinutes < 1) throw bad("the period length is 0");
  const schedule = { lengthMinutes, rotationOffsetSeconds };
  const createdText = next("created")[0] ?? "";
  const createdMs = Date.parse(createdText);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(createdText) || Number.isNaN(createdMs)) {
    throw bad(`line ${at}: "${createdText}" is not a UTC time like 2026-01-31T12:00:00Z`);
  }
  const span = next("periods");
  const first = integer(span[0], "first period");
  const last = integer(span[1], "last period");
  if (last < first || last - first + 1 > MAX_BUNDLE_PERIODS) {
    throw bad(`periods ${first}-${last} is not a span of 1 to ${MAX_BUNDLE_PERIODS} periods`);
  }
  const certs: Ed25519Cert[] = [];
  const rawCerts: { period: TimePeriod; bytes: Uint8Array }[] = [];
  for (let number = first; number <= last; number++) {
    const [n, b64] = next("cert");
    if (integer(n, "period") !== number) {
      throw bad(`line ${at}: expected the cert of period ${number}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(b64 ?? "");
    } catch {
      throw bad(`line ${at}: the cert is not base64`);
    }
    rawCerts.push({ period: new TimePeriod(number, lengthMinutes, rotationOffsetSeconds), bytes });
  }
  const secret = (keyword: string): Uint8Array => {
    next(keyword);
    const end = lines.findIndex((l, i) => i >= at && /^-----END [A-Z ]+-----$/.test(l));
    if (end < 0) throw bad(`the "${keyword}" block has no END line`);
    const pem = lines.slice(at, end + 1).join("\n") + "\n";
    at = end + 1;
    try {
      const seed = decodePkcs8Pem(pem, { file: options.file, passphrase: options.passphrase })
        .seed();
      if (seed === undefined) throw bad(`the "${keyword}" block holds no seed`);
      return seed;
    } catch (cause) {
      if (!(cause instanceof KeyError)) throw cause;
      if (cause.kind === "PassphraseRequired" || cause.kind === "WrongPassphrase") {
        throw new BundleError(
          "Passphrase",
          cause.kind === "PassphraseRequired"
            ? `Cannot read ${subject}: it is encrypted; give its passphrase`
            : `Cannot read ${subject}: wrong passphrase, or an encryption this program cannot read`,
          { cause },
        );
      }
      throw bad(`the "${keyword}" block: ${cause.message}`);
    }
  };
  const signingSecret = secret("signing-key-secret");
  const revisionKey = secret("revision-key");
  if (at !== lines.length - 1 || lines[at] !== "") {
    throw bad(`unexpected line ${at + 1} before "digest"`);
  }
  try {
    for (const { period, bytes } of rawCerts) {
      certs.push(checkCert(bytes, identity, period, signingSecret, subject));
    }
    return new OfflineKeyBundle({
      identity,
      schedule,
      createdAt: Math.floor(createdMs / 1000),
      firstPeriod: first,
      certs,
      signingSecret,
      revisionKey,
    });
  } finally {
    signingSecret.fill(0);
    revisionKey.fill(0);
  }
}

/** One period's cert, checked (the expiry is checked at use: {@link OfflineKeyBundle.signerFor}). */
function checkCert(
  bytes: Uint8Array,
  identity: HsIdKey,
  period: TimePeriod,
  signingSecret: Uint8Array,
  subject: string,
): Ed25519Cert {
  const fail = (why: string, cause?: unknown) =>
    new BundleError("BadCertificate", `Cannot use ${subject}: the cert of ${period} ${why}`, {
      cause,
    });
  const blinded = Ed25519Identity.fromBytes(blindPublicKey(identity, period).toBytes());
  let cert: Ed25519Cert;
  try {
    cert = decodeEd25519Cert(bytes).check({
      now: new Date(0),
      certType: CertType.HS_DESC_SIGNING,
      signer: blinded,
    });
  } catch (cause) {
    throw fail("does not verify against the bundle's onion address", cause);
  }
  const expected = deriveSigningKey(signingSecret, period).public.toIdentity();
  if (!cert.certifiedKey.equals(expected)) {
    throw fail("certifies another key than the bundle's signing key");
  }
  return cert;
}
