/**
 * The legacy RSA intro-point key and its cross-cert. No tor-made vector
 * exists (tor has not written these since 0.3.x), so the test makes a
 * 1024-bit RSA key with WebCrypto and signs the cross-cert with raw RSA
 * (PKCS#1 v1.5 type 1 without DigestInfo, as tor's `crypto_pk_private_sign`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { BytesError, concat } from "../../../src/bytes/mod.ts";
import { CertError } from "../../../src/cert/mod.ts";
import { sha256 } from "../../../src/crypto/mod.ts";
import {
  armor,
  checkHsDescInner,
  checkLegacyCrossCert,
  NetdocSyntaxError,
  parseHsDescInner,
  parseLegacyIntroKey,
} from "../../../src/netdoc/mod.ts";
import { A12, A12_SIGNING_KEY, introPointText } from "./_fixtures.ts";

const b64url = (s: string) =>
  Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const big = (b: Uint8Array) => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
const bytes = (n: bigint, len: number) =>
  Uint8Array.from({ length: len }, (_, i) => Number((n >> BigInt(8 * (len - 1 - i))) & 0xffn));

async function rsaKey(bits: number, exponent = new Uint8Array([1, 0, 1])) {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: exponent, hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return {
    n: big(b64url(jwk.n!)),
    e: big(b64url(jwk.e!)),
    d: big(b64url(jwk.d!)),
    bytes: bits / 8,
  };
}

function derInt(n: bigint): Uint8Array {
  const raw = bytes(n, Math.ceil(n.toString(16).length / 2));
  const b = raw[0]! & 0x80 ? concat(new Uint8Array([0]), raw) : raw;
  return concat(derLength(0x02, b.length), b);
}
function derLength(tag: number, length: number): Uint8Array {
  if (length < 128) return new Uint8Array([tag, length]);
  return length < 256
    ? new Uint8Array([tag, 0x81, length])
    : new Uint8Array([tag, 0x82, length >> 8, length & 0xff]);
}
function pkcs1(key: { n: bigint; e: bigint }): Uint8Array {
  const body = concat(derInt(key.n), derInt(key.e));
  return concat(derLength(0x30, body.length), body);
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

/** CROSSCERT = ED25519_KEY | EXPIRATION | SIG_LEN | RSA-sign(SHA256(prefix | first 36 bytes)). */
function crossCert(key: { n: bigint; d: bigint; bytes: number }, edKey: Uint8Array, hours: number) {
  const signed = concat(edKey, bytes(BigInt(hours), 4));
  const digest = sha256("Tor TLS RSA/Ed25519 cross-certificate", signed);
  const em = concat(
    new Uint8Array([0, 1]),
    new Uint8Array(key.bytes - 35).fill(0xff),
    new Uint8Array([0]),
    digest,
  );
  const sig = bytes(modPow(big(em), key.d, key.n), key.bytes);
  return concat(signed, new Uint8Array([sig.length]), sig);
}

const key = await rsaKey(1024);
const signingKey = A12_SIGNING_KEY.public;
const hour = Math.floor(A12.now.getTime() / 3600_000);

Deno.test("checkLegacyCrossCert() accepts tor's cross-cert and rejects a wrong key, signature or age", () => {
  const legacy = parseLegacyIntroKey(pkcs1(key), crossCert(key, signingKey.toBytes(), hour + 1));
  assert.equal(legacy.expirationHours, hour + 1);
  checkLegacyCrossCert(legacy, { signingKey, now: A12.now });
  // Tor still accepts it until 54 h after it expired (reject_if_expired_before = now - 54 h).
  checkLegacyCrossCert(legacy, { signingKey, now: new Date((hour + 1 + 54) * 3600_000) });
  const kind = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof CertError);
      return e.kind;
    }
    return "none";
  };
  assert.equal(
    kind(() => checkLegacyCrossCert(legacy, { signingKey, now: new Date((hour + 56) * 3600_000) })),
    "Expired",
  );
  const other = parseLegacyIntroKey(
    pkcs1(key),
    crossCert(key, new Uint8Array(32).fill(1), hour + 1),
  );
  assert.equal(
    kind(() => checkLegacyCrossCert(other, { signingKey, now: A12.now })),
    "WrongSigner",
  );
  const tampered = crossCert(key, signingKey.toBytes(), hour + 1);
  tampered[100]! ^= 1;
  assert.equal(
    kind(() =>
      checkLegacyCrossCert(parseLegacyIntroKey(pkcs1(key), tampered), { signingKey, now: A12.now })
    ),
    "BadSignature",
  );
});

Deno.test("parseLegacyIntroKey() wants a 1024-bit RSA key with exponent 65537 and a whole cross-cert", async () => {
  const cc = crossCert(key, signingKey.toBytes(), hour);
  const big2048 = pkcs1(await rsaKey(2048));
  assert.throws(() => parseLegacyIntroKey(big2048, cc), BytesError);
  assert.throws(() => parseLegacyIntroKey(pkcs1({ n: key.n, e: 3n }), cc), BytesError);
  assert.throws(() => parseLegacyIntroKey(new Uint8Array([0x30, 0]), cc), BytesError);
  assert.throws(() => parseLegacyIntroKey(pkcs1(key), cc.subarray(0, 100)), BytesError);
  assert.throws(() => parseLegacyIntroKey(pkcs1(key), concat(cc, new Uint8Array(1))), BytesError);
});

Deno.test("an intro point with a legacy key is kept only when its cross-cert verifies", () => {
  const legacyLines = (cc: Uint8Array) =>
    `legacy-key\n${armor("RSA PUBLIC KEY", pkcs1(key))}\nlegacy-key-cert\n${
      armor("CROSSCERT", cc)
    }\n`;
  const good = introPointText(0x10) + legacyLines(crossCert(key, signingKey.toBytes(), hour));
  const stale = introPointText(0x20) + legacyLines(crossCert(key, signingKey.toBytes(), hour - 60));
  const garbage = introPointText(0x30) + legacyLines(new Uint8Array([1, 2, 3]));
  const inner = parseHsDescInner(`create2-formats 2\n${good}${stale}${garbage}`);
  assert.ok(inner.rejectedIntroPoints[0]?.error instanceof NetdocSyntaxError);
  const checked = checkHsDescInner(inner, { signingKey, now: A12.now });
  assert.equal(checked.introPoints.length, 1);
  assert.ok(checked.introPoints[0]?.legacy !== undefined);
  assert.deepEqual(checked.rejectedIntroPoints.map((r) => (r.error as Error).name), [
    "CertError",
    "NetdocSyntaxError",
  ]);
});
