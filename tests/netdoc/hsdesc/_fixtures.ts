/**
 * Shared test inputs: the fixed inputs of the project's deterministic
 * full-descriptor vector (`A12` below), a scripted rng, and a helper that
 * makes fresh intro points.
 *
 * Provenance: the `A12` vector was generated for this project from the fixed
 * inputs below (every random input pinned) and cross-checked: tor 0.4.9.11
 * accepts the descriptor over `+HSPOST`, stem 1.8.1 decrypts it, OnionBalance
 * 0.2.2's `ReceivedDescriptor` parses it, and OnionBalance, stem and tor's
 * `ed25519_exts_ref.py` agree on its blinding values.
 *
 * @module
 */

import { concat, fromHex, toBase64NoPad } from "../../../src/bytes/mod.ts";
import { CertType, Ed25519Identity, signEd25519Cert } from "../../../src/cert/mod.ts";
import {
  ed25519FromCurve25519,
  publicKeyFromSeed,
  type Rng,
  seededRng,
  x25519PublicKey,
} from "../../../src/crypto/mod.ts";
import { blindKeypair, HsIdKeypair, subcredential } from "../../../src/keys/mod.ts";
import {
  DescAuthEphemeralKeypair,
  encodeHsDescMiddle,
  encodeHsDescOuter,
  encodeIntroPoint,
  encryptLayer,
  type HsDescBuildInput,
  HsDescSigningKeypair,
  HsIntroPtSessionIdKey,
  HsSvcNtorKey,
  type IntroPointSource,
  IntroPtNtorKey,
  LinkSpecifiers,
  textToBytes,
} from "../../../src/netdoc/mod.ts";
import { TimePeriod } from "../../../src/time/mod.ts";

/** `n` bytes of `value`. */
export function fill(n: number, value: number): Uint8Array {
  return new Uint8Array(n).fill(value);
}

/** Bytes `from, from+1, …` (`count` of them). */
export function counting(from: number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => from + i);
}

/**
 * An rng that returns `chunks` in order and fails loudly when a caller asks
 * for a different length than the next chunk, or for more chunks.
 */
export function scriptedRng(chunks: readonly Uint8Array[]): Rng & { remaining(): number } {
  let next = 0;
  const rng = (n: number) => {
    const chunk = chunks[next++];
    if (chunk === undefined) {
      throw new Error(`scriptedRng: draw ${next} of ${n} bytes is past the script`);
    }
    if (chunk.length !== n) {
      throw new Error(`scriptedRng: draw ${next} wants ${n} bytes, the script has ${chunk.length}`);
    }
    return chunk.slice();
  };
  return Object.assign(rng, { remaining: () => chunks.length - next });
}

/** Options for {@link makeIntroPoint}. */
export interface IntroPointSeeds {
  onion: number;
  auth: number;
  enc: number;
  expirationHours: number;
  linkSpecifiers?: LinkSpecifiers;
}

/** An intro point as tor would make it, from one-byte seeds. */
export function makeIntroPoint(seeds: IntroPointSeeds): IntroPointSource {
  const encKey = x25519PublicKey(fill(32, seeds.enc));
  return {
    linkSpecifiers: seeds.linkSpecifiers ?? LinkSpecifiers.encode([
      { kind: "ipv4", address: "192.0.2.1", port: 9001 },
      { kind: "legacy-id", rsaId: fill(20, 0xaa) },
      { kind: "ed25519-id", ed25519Id: fill(32, 0xbb) },
    ]),
    onionKey: IntroPtNtorKey.fromBytes(x25519PublicKey(fill(32, seeds.onion))),
    authKey: HsIntroPtSessionIdKey.fromBytes(publicKeyFromSeed(fill(32, seeds.auth))),
    authKeyCert: { expirationHours: seeds.expirationHours },
    encKey: HsSvcNtorKey.fromBytes(encKey),
    encKeyCert: {
      certifiedKey: Ed25519Identity.fromBytes(ed25519FromCurve25519(encKey, 0)),
      expirationHours: seeds.expirationHours,
    },
  };
}

/** A.12: identity seed 01..20, now 1893502800 (2030-01-01 13:00 UTC), TP 21915. */
export const A12 = {
  identity: HsIdKeypair.fromSeed(counting(1, 32)),
  address: "pg2vmlup4zkpsqdywejorkmlu6ib7bj242k35v7a4oiqxlieszspudyd.onion",
  now: new Date(1893502800 * 1000),
  period: new TimePeriod(21915),
  revisionCounter: 123456n,
  blindedKey: fromHex("5b3fe5eb8c34cbacc8c57c6191058538e38ef271dd3ea98f3dc6e68e85cfd786"),
  subcredential: fromHex("82a1f74e01b3e3c0e93f04fc2089adda7fe389b48302aa69dc7f4fb1df60fc7d"),
  signingKeyPub: fromHex("29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7"),
  ephemeralPub: fromHex("7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14"),
  onionKey: fromHex("ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b"),
  authKey: fromHex("c6822637c7d310ec57627be00ba259d253749f4aaf644470cffbe53a35f73242"),
  encKey: fromHex("219e4d800da968d2a5fcb009c784f4746c7138edb9ee4844b739e830b05cf424"),
  encKeyEd: fromHex("9ced06535de7eaa13af4c0f0205df650d0d56a0bfdb08277c5e2dad3e8609027"),
  certExpirationHours: 526027,
  innerLength: 760,
  innerSha256: "255d529a63d1474cb9a330f6ff4fba259b92897bdebc5e27c6fad436c7f939c8",
  middleLength: 2363,
  middleSha256: "02c25c4f1bf5ca65b883e01220b45b01d240e8357ef0ac349ef708856b5eed02",
  descLength: 14107,
  descSha256: "fb6b3600f74298a3bb49f2a7a2b5a1e0ee89624fdf28bdcf8f92e0db72d08062",
} as const;

/** The A.12 build input (signing key seed 20..3f, ephemeral secret 0x33×32). */
export function a12Input(): HsDescBuildInput {
  return {
    identity: A12.identity,
    period: A12.period,
    revisionCounter: A12.revisionCounter,
    now: A12.now,
    introPoints: [makeIntroPoint({ onion: 0x44, auth: 0x55, enc: 0x66, expirationHours: 526027 })],
    signingKey: A12_SIGNING_KEY,
    ephemeralKey: DescAuthEphemeralKeypair.fromSecret(fill(32, 0x33)),
  };
}

/**
 * The A.12 rng script, in the builder's draw order: 16 fake auth-clients
 * (id = i×8, iv = i×16, cookie = (0x80+i)×16), no shuffle draws (the test
 * injects the identity shuffle), the inner salt 0x22×16, the outer salt 0x11×16.
 */
export function a12Rng() {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 16; i++) chunks.push(fill(8, i), fill(16, i), fill(16, 0x80 + i));
  chunks.push(fill(16, 0x22), fill(16, 0x11));
  return scriptedRng(chunks);
}

/** The identity shuffle: A.12 lists the fake auth-client lines unshuffled. */
export const noShuffle = <T>(items: readonly T[]): T[] => [...items];

/** Options of {@link assembleDescriptor}. */
export interface AssembleOptions {
  /** The inner plaintext (default: one A.12-style intro point). */
  inner?: string;
  /** Makes the middle plaintext from the encrypted inner blob (default: tor's layout). */
  middle?: (innerBlob: Uint8Array) => string;
  /** Extra text inserted before `signature ` in the outer document (re-signed). */
  outerExtra?: string;
  /** The type-08 cert's expiry in hours (default 526027). */
  certExpirationHours?: number;
}

/** The A.12 signing keypair (seed 20..3f). */
export const A12_SIGNING_KEY = HsDescSigningKeypair.fromSeed(counting(0x20, 32));

/**
 * An intro-point section whose certs are signed by {@link A12_SIGNING_KEY}
 * (or `signer`), with optional overrides to break it.
 */
export function introPointText(
  seed: number,
  overrides: { expirationHours?: number; signer?: HsDescSigningKeypair; authCertType?: number } =
    {},
): string {
  const ip = makeIntroPoint({
    onion: seed,
    auth: seed + 1,
    enc: seed + 2,
    expirationHours: overrides.expirationHours ?? 526027,
  });
  const signer = overrides.signer ?? A12_SIGNING_KEY;
  return encodeIntroPoint({
    linkSpecifiers: ip.linkSpecifiers,
    onionKey: ip.onionKey,
    authKeyCert: signEd25519Cert({
      certType: overrides.authCertType ?? CertType.HS_IP_AUTH,
      expirationHours: ip.authKeyCert.expirationHours,
      certifiedKey: ip.authKey.toIdentity(),
    }, signer),
    encKey: ip.encKey,
    encKeyCert: signEd25519Cert({
      certType: CertType.HS_IP_ENC_CROSS,
      expirationHours: ip.encKeyCert.expirationHours,
      certifiedKey: ip.encKeyCert.certifiedKey,
    }, signer),
  });
}

/**
 * A descriptor for the A.12 address and period made from custom layer
 * plaintexts with the lower-level encoders, validly encrypted and signed, so
 * tests can reach the middle and inner parsers with malformed text.
 */
export async function assembleDescriptor(options: AssembleOptions = {}): Promise<string> {
  const rng = seededRng("assemble");
  const blinded = blindKeypair(A12.identity, A12.period);
  const keys = {
    blindedKey: blinded.public,
    subcredential: subcredential(A12.identity.public, blinded.public),
    revisionCounter: A12.revisionCounter,
  };
  const innerText = options.inner ?? `create2-formats 2\n${introPointText(0x44)}`;
  const innerBlob = await encryptLayer(textToBytes(innerText), {
    ...keys,
    layer: "inner",
    salt: rng(16),
  });
  const middleText = options.middle?.(innerBlob) ?? encodeHsDescMiddle({
    ephemeralKey: DescAuthEphemeralKeypair.fromSecret(fill(32, 0x33)).public,
    authClients: Array.from({ length: 16 }, () => ({
      clientId: rng(8),
      iv: rng(16),
      encryptedCookie: rng(16),
    })),
    encrypted: innerBlob,
  });
  const middleBlob = await encryptLayer(textToBytes(middleText), {
    ...keys,
    layer: "middle",
    salt: rng(16),
  });
  const cert = signEd25519Cert({
    certType: CertType.HS_DESC_SIGNING,
    expirationHours: options.certExpirationHours ?? 526027,
    certifiedKey: A12_SIGNING_KEY.public.toIdentity(),
  }, blinded);
  const text = encodeHsDescOuter({
    lifetimeMinutes: 180,
    signingKeyCert: cert,
    revisionCounter: A12.revisionCounter,
    superencrypted: middleBlob,
  }, A12_SIGNING_KEY);
  if (options.outerExtra === undefined) return text;
  return resign(text.replace("\nsignature ", `\n${options.outerExtra}signature `));
}

/** Replaces the signature of an outer document with a valid one over its new body. */
export function resign(text: string, key: HsDescSigningKeypair = A12_SIGNING_KEY): string {
  const at = text.indexOf("\nsignature ") + 1;
  const body = text.slice(0, at);
  const sig = key.sign(concat("Tor onion service descriptor sig v3", textToBytes(body)));
  return `${body}signature ${toBase64NoPad(sig)}\n`;
}
