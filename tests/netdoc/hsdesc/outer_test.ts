import assert from "node:assert/strict";
import { CertType, signEd25519Cert } from "../../../src/cert/mod.ts";
import { blindKeypair, HsBlindIdKey } from "../../../src/keys/mod.ts";
import {
  armor,
  buildHsDesc,
  type NetdocErrorKind,
  NetdocSyntaxError,
  parseHsDescOuter,
} from "../../../src/netdoc/mod.ts";
import { A12, A12_SIGNING_KEY, a12Input, a12Rng, noShuffle, resign } from "./_fixtures.ts";

const text = (await buildHsDesc(a12Input(), { rng: a12Rng(), shuffle: noShuffle })).text;
const blindedKey = HsBlindIdKey.fromBytes(A12.blindedKey);

function assertSyntax(input: string, kind: NetdocErrorKind, keyword?: string): NetdocSyntaxError {
  let caught: unknown;
  try {
    parseHsDescOuter(input);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof NetdocSyntaxError, `expected NetdocSyntaxError, got ${caught}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.equal(caught.document, "outer");
  if (keyword !== undefined) assert.equal(caught.keyword, keyword);
  return caught;
}

Deno.test("parseHsDescOuter() reads every field; check() verifies cert and signature", () => {
  const unchecked = parseHsDescOuter(text);
  assert.equal(unchecked.lifetimeMinutes, 180);
  assert.equal(unchecked.revisionCounter, 123456n);
  assert.equal(unchecked.superencrypted.length, 16 + 10000 + 32);
  assert.ok(unchecked.claimedBlindedKey.equals(blindedKey));
  const outer = unchecked.check({ blindedKey, now: A12.now });
  assert.ok(outer.signingKey.equals(A12_SIGNING_KEY.public));
  assert.equal(outer.signingKeyCert.expiresAt.toISOString(), "2030-01-03T19:00:00.000Z");
  assert.ok(text.endsWith("\n"));
});

Deno.test("parseHsDescOuter() accepts bytes, and stem's missing final newline", () => {
  const bytes = new TextEncoder().encode(text);
  assert.equal(parseHsDescOuter(bytes).revisionCounter, 123456n);
  parseHsDescOuter(text.slice(0, -1)).check({ blindedKey, now: A12.now });
});

Deno.test("parseHsDescOuter() follows tor's token table", () => {
  assertSyntax(text.replace("hs-descriptor 3", "hs-descriptor 4"), "UnsupportedVersion");
  assertSyntax(text.replace("hs-descriptor 3\n", ""), "MissingKeyword", "hs-descriptor");
  assertSyntax(
    text.replace(
      "hs-descriptor 3\ndescriptor-lifetime 180\n",
      "descriptor-lifetime 180\nhs-descriptor 3\n",
    ),
    "WrongStartingToken",
  );
  assertSyntax("hs-descriptor 3\n" + text, "DuplicateKeyword", "hs-descriptor");
  assertSyntax(text.replace("descriptor-lifetime 180", "descriptor-lifetime 721"), "BadArgument");
  assertSyntax(text.replace("descriptor-lifetime 180", "descriptor-lifetime -1"), "BadArgument");
  assertSyntax(
    text.replace("descriptor-lifetime 180", "descriptor-lifetime 180 9"),
    "TooManyArguments",
  );
  assertSyntax(
    text.replace("revision-counter 123456", "revision-counter 18446744073709551616"),
    "BadArgument",
  );
  parseHsDescOuter(
    resign(text.replace("revision-counter 123456", "revision-counter 18446744073709551615")),
  );
  assertSyntax(text.replace("superencrypted\n", "superencrypted x\n"), "TooManyArguments");
  assertSyntax(
    text.replace("-----BEGIN MESSAGE-----", "-----BEGIN MSG-----").replace(
      "-----END MESSAGE-----",
      "-----END MSG-----",
    ),
    "WrongObjectType",
  );
  assertSyntax(text + "extra 1\n", "WrongEndingToken");
  const sigLine = text.slice(text.indexOf("\nsignature ") + 1);
  assertSyntax(text.replace(sigLine, sigLine.trimEnd() + "==\n"), "BadArgument", "signature");
  assertSyntax(text.replace(sigLine, "signature\n"), "TooFewArguments", "signature");
  const error = assertSyntax(text.replace("revision-counter 123456\n", ""), "MissingKeyword");
  assert.equal(
    error.message,
    'Cannot parse descriptor "outer": missing keyword "revision-counter"',
  );
});

Deno.test("parseHsDescOuter() checks the signing-key cert's format and type", () => {
  const certBody = (cert: Uint8Array) =>
    text.replace(
      /-----BEGIN ED25519 CERT-----\n[^-]*-----END ED25519 CERT-----/,
      armor("ED25519 CERT", cert),
    );
  const blinded = blindKeypair(A12.identity, A12.period);
  const wrongType = signEd25519Cert({
    certType: CertType.HS_IP_AUTH,
    expirationHours: 526027,
    certifiedKey: A12_SIGNING_KEY.public.toIdentity(),
  }, blinded);
  const e = assertSyntax(certBody(wrongType.encode()), "BadCert", "descriptor-signing-key-cert");
  assert.equal(e.line, 3);
  assertSyntax(certBody(new Uint8Array(10)), "BadCert");
  const noExt = wrongType.encode();
  noExt[1] = CertType.HS_DESC_SIGNING;
  noExt[39] = 0; // N_EXTENSIONS = 0 and drop the extension bytes
  assertSyntax(
    certBody(new Uint8Array([...noExt.subarray(0, 40), ...noExt.subarray(76)])),
    "BadCert",
  );
});

Deno.test("parseHsDescOuter() enforces the size limit: size >= limit fails", () => {
  parseHsDescOuter(text, { maxSize: text.length + 1 });
  assert.throws(() => parseHsDescOuter(text, { maxSize: text.length }), NetdocSyntaxError);
});

Deno.test("parseHsDescOuter() rejects a superencrypted blob of 48 bytes", () => {
  const small = text.replace(
    /superencrypted\n-----BEGIN MESSAGE-----\n[^-]*-----END MESSAGE-----/,
    `superencrypted\n${armor("MESSAGE", new Uint8Array(48))}`,
  );
  assertSyntax(small, "BadArgument", "superencrypted");
});
