import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/bytes/mod.ts";
import {
  CertError,
  type CertErrorKind,
  CertType,
  decodeEd25519Cert,
  Ed25519Identity,
  encodeEd25519Cert,
  EXT_SIGNED_WITH_KEY,
  signEd25519Cert,
} from "../../src/cert/mod.ts";
import { blindKeypair, HsIdKeypair } from "../../src/keys/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";

// The descriptor-signing-key-cert of arti's hsdesc1.txt (a real tor-made descriptor; arti
// crates/tor-netdoc/testdata/hsdesc1.txt).
const ARTI_CERT = fromHex(
  "0108" + "0007192b" + "01" +
    "0ad8ae6ea2c13f5302be247d4b1016f5bae330a4a0b90144fef1e4bb7904e17a" +
    "01" + "0020" + "04" + "00" +
    "43cc0d62fc6252f578705ca645a46109e265290343b1137e90189744b20b3f2d" +
    "f5b8d5185f252a40c24ff593ef8b9093a895f6919dfbaf05487a797c82543b73" +
    "898dde235c730e1b077c076f66159b13ee72365550dfe37b7e246f7dd93a8c0e",
);
// The type-08 cert of this project's deterministic descriptor vector (`A12` in
// tests/netdoc/hsdesc/_fixtures.ts).
const A12_CERT = fromHex(
  "0108000806cb0129acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd70100200400" +
    "5b3fe5eb8c34cbacc8c57c6191058538e38ef271dd3ea98f3dc6e68e85cfd7863803f99d1816ad69df4a7e20" +
    "1b668b8a14e44e3d14611223eca519bf7f5237f19fafa355cade668f27fd9bac0b671b8d6f8ff9fc66244cb2" +
    "a80cbefe7c44b002",
);
const A12_IDENTITY = HsIdKeypair.fromSeed(Uint8Array.from({ length: 32 }, (_, i) => i + 1));

const signer = HsIdKeypair.fromSeed(new Uint8Array(32).fill(7));
const signerId = Ed25519Identity.fromBytes(signer.public.toBytes());
const subject = Ed25519Identity.fromBytes(new Uint8Array(32).fill(9));
const HOURS = 500000; // 2027-01-15T08:00Z
const before = new Date(HOURS * 3600 * 1000);

function assertCertError(fn: () => unknown, kind: CertErrorKind): void {
  assert.throws(fn, (e: unknown) => e instanceof CertError && e.kind === kind);
}

Deno.test("decodeEd25519Cert() reads the layout of arti's tor-made type-08 cert", () => {
  const cert = decodeEd25519Cert(ARTI_CERT);
  assert.equal(ARTI_CERT.length, 140);
  assert.equal(cert.certType, CertType.HS_DESC_SIGNING);
  assert.equal(cert.expirationHours, 465195);
  assert.equal(cert.expiresAt.toISOString(), "2023-01-26T03:00:00.000Z");
  assert.equal(cert.certKeyType, 1);
  assert.equal(
    cert.certifiedKey.toHex(),
    "0ad8ae6ea2c13f5302be247d4b1016f5bae330a4a0b90144fef1e4bb7904e17a",
  );
  assert.deepEqual(cert.extensions.map((e) => [e.type, e.flags, e.data.length]), [[4, 0, 32]]);
  assert.equal(
    cert.signingKey?.toHex(),
    "43cc0d62fc6252f578705ca645a46109e265290343b1137e90189744b20b3f2d",
  );
  assert.deepEqual(cert.encode(), ARTI_CERT);
});

Deno.test("check() verifies arti's cert at its last valid second and not one second later", () => {
  const cert = decodeEd25519Cert(ARTI_CERT);
  const expiry = 465195 * 3600 * 1000;
  const checked = cert.check({ now: new Date(expiry), certType: CertType.HS_DESC_SIGNING });
  assert.equal(checked.signingKey.toHex(), cert.signingKey!.toHex());
  assertCertError(() => cert.check({ now: new Date(expiry + 1000) }), "Expired");
});

Deno.test("signEd25519Cert() reproduces the A.12 cert, signed by the blinded key", () => {
  const blinded = blindKeypair(A12_IDENTITY, new TimePeriod(21915));
  const cert = signEd25519Cert({
    certType: CertType.HS_DESC_SIGNING,
    expirationHours: 526027,
    certifiedKey: Ed25519Identity.fromBytes(
      fromHex("29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7"),
    ),
  }, blinded);
  assert.equal(toHex(cert.encode()), toHex(A12_CERT));
});

Deno.test("check() accepts a cert signed with its 0x04 key, or with the signer given", () => {
  const cert = signEd25519Cert(
    { certType: 0x09, expirationHours: HOURS, certifiedKey: subject },
    signer,
  );
  const decoded = decodeEd25519Cert(cert.encode());
  assert.ok(decoded.check({ now: before }).certifiedKey.equals(subject));
  assert.ok(
    decoded.check({ now: before, certType: 0x09, signer: signerId }).signingKey.equals(signerId),
  );
});

Deno.test("check() rejects a wrong signer, type, or signature", () => {
  const cert = decodeEd25519Cert(
    signEd25519Cert({ certType: 0x09, expirationHours: HOURS, certifiedKey: subject }, signer)
      .encode(),
  );
  assertCertError(() => cert.check({ now: before, signer: subject }), "WrongSigner");
  assertCertError(() => cert.check({ now: before, certType: 0x0b }), "WrongCertType");
  const bytes = cert.encode();
  bytes[bytes.length - 1]! ^= 1;
  assertCertError(() => decodeEd25519Cert(bytes).check({ now: before }), "BadSignature");
  bytes[bytes.length - 1]! ^= 1;
  bytes[10]! ^= 1; // inside the certified key
  assertCertError(() => decodeEd25519Cert(bytes).check({ now: before }), "BadSignature");
});

function signedWithExtensions(extensions: { type: number; flags: number; data: Uint8Array }[]) {
  const fields = {
    certType: 0x09,
    expirationHours: HOURS,
    certKeyType: 1,
    certifiedKey: subject,
    extensions,
  };
  const unsigned = encodeEd25519Cert(fields, new Uint8Array(64));
  const signature = signer.sign(unsigned.subarray(0, unsigned.length - 64));
  return decodeEd25519Cert(encodeEd25519Cert(fields, signature));
}

Deno.test("check() rejects a second 0x04 extension (tor_cert_parse)", () => {
  const key = signer.public.toBytes();
  const cert = signedWithExtensions([
    { type: EXT_SIGNED_WITH_KEY, flags: 0, data: key },
    { type: EXT_SIGNED_WITH_KEY, flags: 0, data: key },
  ]);
  assertCertError(() => cert.check({ now: before }), "DuplicateSigningKey");
});

Deno.test("check() rejects an unknown extension with AFFECTS_VALIDATION, accepts one without", () => {
  const key = { type: EXT_SIGNED_WITH_KEY, flags: 0, data: signer.public.toBytes() };
  const critical = signedWithExtensions([key, { type: 0x77, flags: 1, data: new Uint8Array(3) }]);
  assertCertError(() => critical.check({ now: before }), "UnknownCriticalExtension");
  const harmless = signedWithExtensions([key, { type: 0x77, flags: 2, data: new Uint8Array(3) }]);
  assert.equal(harmless.check({ now: before }).extensions.length, 2);
});

Deno.test("check() needs a signing key: the 0x04 extension or the caller's", () => {
  const cert = signedWithExtensions([]);
  assertCertError(() => cert.check({ now: before }), "MissingSigningKey");
  assert.ok(cert.check({ now: before, signer: signerId }).signingKey.equals(signerId));
});

Deno.test("decodeEd25519Cert() rejects malformed bytes with a typed error", () => {
  assertCertError(() => decodeEd25519Cert(ARTI_CERT.subarray(0, 139)), "Truncated");
  assertCertError(() => decodeEd25519Cert(new Uint8Array([...ARTI_CERT, 0])), "TrailingBytes");
  const v2 = ARTI_CERT.slice();
  v2[0] = 2;
  assertCertError(() => decodeEd25519Cert(v2), "BadVersion");
  const shortExt = ARTI_CERT.slice();
  shortExt[41] = 0x1f; // ExtLength of the 0x04 extension
  assertCertError(() => decodeEd25519Cert(shortExt), "BadExtension");
  assertCertError(() => decodeEd25519Cert(new Uint8Array()), "Truncated");
});

Deno.test("encodeEd25519Cert() refuses fields that do not fit", () => {
  const base = {
    certType: 9,
    expirationHours: 1,
    certKeyType: 1,
    certifiedKey: subject,
    extensions: [],
  };
  const sig = new Uint8Array(64);
  assert.throws(() => encodeEd25519Cert({ ...base, expirationHours: 2 ** 32 }, sig), RangeError);
  assert.throws(() => encodeEd25519Cert({ ...base, certType: 256 }, sig), RangeError);
  assert.throws(() => encodeEd25519Cert(base, new Uint8Array(63)), RangeError);
  const bad04 = [{ type: EXT_SIGNED_WITH_KEY, flags: 0, data: new Uint8Array(31) }];
  assert.throws(() => encodeEd25519Cert({ ...base, extensions: bad04 }, sig), RangeError);
});
