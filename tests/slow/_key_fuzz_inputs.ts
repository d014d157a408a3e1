/**
 * Inputs for the key-file cases of `config_fuzz_slow_test.ts`.
 *
 * What: a throwaway identity key as tor's `hs_ed25519_secret_key` and as PKCS#8 PEM, a v2
 * onion service RSA key (tor's PKCS#1 `private_key`, and PKCS#8), other keys' DER bodies, and
 * the mutations for each format: tor file headers, lengths and special scalars; PEM labels,
 * armor and DER bodies.
 *
 * Role: test-only. The identity key comes from a seeded rng; the RSA key from WebCrypto, which
 * has no seeded generator, so its bytes differ between runs (the mutations applied to it do
 * not). Nothing here prints key bytes.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { concat, fromBase64, fromHex, toBase64, toHex } from "../../src/bytes/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  encodePkcs8Pem,
  encodeTorSecretKeyFile,
  HsIdKeypair,
  PKCS8_ED25519_PREFIX,
} from "../../src/keys/mod.ts";
import {
  BYTE_FRAGMENTS,
  type ByteMutation,
  byteMutation,
  mutate,
  mutateBytes,
  type Mutation,
  position,
  textMutation,
  utf8,
} from "./_fuzz_mutations.ts";

// ---- Keys ----

/** The identity key every key file here holds (KS_hs_id). */
export const KEY = HsIdKeypair.generate(seededRng("config-fuzz-key"));
/** {@link KEY} as tor's `hs_ed25519_secret_key`. */
export const TOR_FILE = encodeTorSecretKeyFile(KEY);
/** {@link KEY} as PKCS#8 PEM. */
export const PEM_TEXT = encodePkcs8Pem(KEY);
const KEY_SEED = KEY.seed()!;
const GOOD_DER = concat(PKCS8_ED25519_PREFIX, KEY_SEED);
/** DER bodies of other keys: Ed25519 PKCS#8 v2 (RFC 8410 §10.3), X25519, P-256. */
const OTHER_DERS = [
  fromBase64(
    "MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC" +
      "oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB" +
      "Z9w7lshQhqowtrbLDFw4rXAxZuE=",
  ),
  concat(fromHex("302e020100300506032b656e04220420"), KEY_SEED),
  concat(
    fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420"),
    KEY_SEED,
  ),
];

const { privateKey: RSA_KEY } = await crypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 1024,
    publicExponent: Uint8Array.of(1, 0, 1),
    hash: "SHA-1",
  },
  true,
  ["sign", "verify"],
);
/** A v2 onion service key (1024-bit RSA, as tor made them), as PKCS#8 DER. */
const RSA_PKCS8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", RSA_KEY));
// PKCS#8 wraps PKCS#1 (RFC 5208 §5): SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING };
// for a 1024-bit key every length takes 2 bytes, so the PKCS#1 key starts at byte 26.
assert.equal(toHex(RSA_PKCS8.subarray(4, 22)), "020100300d06092a864886f70d0101010500");

/** `der` armored as PEM with `label`, 64 base64 characters a line. */
function pem(der: Uint8Array, label: string): string {
  const body = toBase64(der).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** tor's v2 `private_key` (PKCS#1 PEM) and the same key as PKCS#8 PEM. */
export const V2_KEYS = [
  pem(RSA_PKCS8.subarray(26), "RSA PRIVATE KEY"),
  pem(RSA_PKCS8, "PRIVATE KEY"),
];

// ---- tor hs_ed25519_secret_key ----

const TOR_HEADERS = [
  ...["== ed25519v1-secret: type0 ==", "== ed25519v1-public: type0 ==", "==  =="],
  ...["== ed25519v1-secret: type1 ==", "== ed25519v1-secret: type0 =", "== ed25519v1-secret: =="],
  ...["== curve25519v1-secret: type0 ==", "== ed25519v1-secret:type0 =="],
  ...["== ed25519v1-secret: type0 ==xx", "ed25519v1-secret: type0"],
];
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** Scalars (little-endian) worth a tor key file: 0 and multiples of l give no usable key. */
const SPECIAL_SCALARS = [0n, 1n, 8n, ED25519_L, ED25519_L + 1n, 2n * ED25519_L, 2n ** 256n - 1n]
  .map((n) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn)));

/** A byte edit, or an edit that knows the tor key file's layout (32-byte header, 64-byte key). */
export type KeyMutation =
  | ByteMutation
  | { kind: "length"; n: number }
  | { kind: "header"; header: string; pad: boolean }
  | { kind: "scalar"; scalar: Uint8Array }
  | { kind: "base64" };

/** An edit to a tor key file; most go to its header. */
export const torMutation: fc.Arbitrary<KeyMutation> = fc.oneof(
  // Most byte changes go to the 32-byte header: a change to the 64 key bytes is another valid
  // key, which costs a point multiplication to load.
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("set" as const),
      p: fc.oneof({ weight: 3, arbitrary: position.map((p) => (p * 32) / 96) }, position),
      bytes: fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.of(b)),
        fc.constantFrom(...BYTE_FRAGMENTS),
      ),
    }),
  },
  { weight: 2, arbitrary: byteMutation },
  fc.record({ kind: fc.constant("length" as const), n: fc.integer({ min: 0, max: 200 }) }),
  fc.record({
    kind: fc.constant("header" as const),
    header: fc.constantFrom(...TOR_HEADERS),
    pad: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("scalar" as const), scalar: fc.constantFrom(...SPECIAL_SCALARS) }),
  fc.constant({ kind: "base64" as const }),
);

/** Applies key-file mutations in order. */
export function mutateKey(bytes: Uint8Array, ms: readonly KeyMutation[]): Uint8Array {
  for (const m of ms) {
    switch (m.kind) {
      case "length": // cut, or pad with NUL (a file of the wrong size)
        bytes = m.n <= bytes.length
          ? bytes.slice(0, m.n)
          : concat(bytes, new Uint8Array(m.n - bytes.length));
        break;
      case "header": {
        const head = utf8(m.header);
        const padded = m.pad ? concat(head, new Uint8Array(Math.max(0, 32 - head.length))) : head;
        bytes = concat(padded, bytes.subarray(32));
        break;
      }
      case "scalar":
        bytes = concat(bytes.subarray(0, 32), m.scalar, bytes.subarray(64));
        break;
      case "base64": // the file pasted as base64
        bytes = utf8(toBase64(bytes));
        break;
      default:
        bytes = mutateBytes(bytes, [m]);
    }
  }
  return bytes;
}

/** Whether `a` and `b` hold the same bytes. */
export const equalBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

// ---- PEM ----

/** PEM structure to insert into a key file. */
const PEM_FRAGMENTS = [
  ...["\n", "\r\n", "\r", " ", "\t", "\0", "\uFEFF", "\u00ff", "=", "==", "-", "-----"],
  ...["-----BEGIN PRIVATE KEY-----\n", "-----END PRIVATE KEY-----\n", "Proc-Type: 4,ENCRYPTED\n"],
  ...["-----BEGIN RSA PRIVATE KEY-----\n", "-----END RSA PRIVATE KEY-----"],
  "== ed25519v1-secret: type0 ==",
];
const PEM_LABELS = [
  ...["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "PUBLIC KEY"],
  ...["OPENSSH PRIVATE KEY", "private key", "PRIVATE  KEY", ""],
];

/** A text edit, or an edit that knows PEM's layout (label, base64 body, line ends). */
export type PemMutation =
  | Mutation
  | { kind: "label"; label: string }
  | { kind: "body"; der: Uint8Array }
  | { kind: "crlf" };

/** DER bodies: random, the good one with a byte changed, cut or extended, other keys. */
const derVariant: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  fc.tuple(position, fc.integer({ min: 0, max: 255 })).map(([p, b]) => {
    const der = GOOD_DER.slice();
    der[Math.floor(p * der.length)] = b;
    return der;
  }),
  fc.integer({ min: 0, max: 60 }).map((n) => GOOD_DER.slice(0, n)),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((tail) => concat(GOOD_DER, tail)),
  fc.constantFrom(...OTHER_DERS, RSA_PKCS8),
);

/** A text edit with PEM fragments (no YAML-only edits). */
export const pemTextMutation: fc.Arbitrary<Mutation> = textMutation(PEM_FRAGMENTS);

/** An edit to a PEM key; most are {@link pemTextMutation}s. */
export const pemMutation: fc.Arbitrary<PemMutation> = fc.oneof(
  { weight: 6, arbitrary: pemTextMutation },
  fc.record({ kind: fc.constant("label" as const), label: fc.constantFrom(...PEM_LABELS) }),
  fc.record({ kind: fc.constant("body" as const), der: derVariant }),
  fc.constant({ kind: "crlf" as const }),
);

/** Applies PEM mutations in order. */
export function mutatePem(text: string, ms: readonly PemMutation[]): string {
  for (const m of ms) {
    if (m.kind === "label") text = text.replace(/(?<=-----(BEGIN|END) )[^-]*(?=-----)/g, m.label);
    else if (m.kind === "body") {
      text = text.replace(/(?<=-----\n)[^-]*(?=\n-----)/, toBase64(m.der));
    } else if (m.kind === "crlf") text = text.replaceAll("\n", "\r\n");
    else text = mutate(text, [m]);
  }
  return text;
}
