import assert from "node:assert/strict";
import { toHex } from "../../../src/bytes/mod.ts";
import { CertError } from "../../../src/cert/mod.ts";
import { HsIdKeypair, RevisionCounter } from "../../../src/keys/mod.ts";
import {
  buildHsDesc,
  decodeHsDesc,
  type DecodeHsDescOptions,
  HsDescError,
  type HsDescErrorKind,
  HsDescSigningKeypair,
  type HsDescStage,
  HsDescTooLargeError,
  NetdocSyntaxError,
} from "../../../src/netdoc/mod.ts";
import { TimePeriod } from "../../../src/time/mod.ts";
import {
  A12,
  a12Input,
  a12Rng,
  assembleDescriptor,
  introPointText,
  makeIntroPoint,
  noShuffle,
  resign,
} from "./_fixtures.ts";
import { seededRng } from "../../../src/crypto/mod.ts";

const options = { identity: A12.identity.public, periods: [A12.period], now: A12.now };
const a12Text = (await buildHsDesc(a12Input(), { rng: a12Rng(), shuffle: noShuffle })).text;

async function rejects(
  text: string,
  stage: HsDescStage,
  kind: HsDescErrorKind,
  opts: Partial<DecodeHsDescOptions> = {},
): Promise<HsDescError> {
  let caught: unknown;
  try {
    await decodeHsDesc(text, { ...options, ...opts });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HsDescError, `expected HsDescError, got ${caught}`);
  assert.equal(`${caught.stage}/${caught.kind}`, `${stage}/${kind}`, caught.message);
  return caught;
}

Deno.test("decodeHsDesc() decodes the A.12 descriptor into what was put in", async () => {
  const desc = await decodeHsDesc(a12Text, options);
  assert.ok(desc.period.equals(A12.period));
  assert.equal(toHex(desc.blindedKey.toBytes()), toHex(A12.blindedKey));
  assert.equal(toHex(desc.subcredential.toBytes()), toHex(A12.subcredential));
  assert.equal(desc.outer.lifetimeMinutes, 180);
  assert.equal(desc.outer.revisionCounter, 123456n);
  assert.equal(desc.outer.signingKeyCert.expirationHours, 526027);
  assert.equal(toHex(desc.outer.signingKey.toBytes()), toHex(A12.signingKeyPub));
  assert.equal(toHex(desc.middle.ephemeralKey.toBytes()), toHex(A12.ephemeralPub));
  assert.deepEqual(desc.middle.authClients.map((c) => c.clientId[0]), [...Array(16).keys()]);
  assert.deepEqual(desc.inner.create2Formats, [2]);
  assert.equal(desc.inner.flowControl, undefined);
  assert.equal(desc.inner.powParams, undefined);
  assert.equal(desc.inner.singleOnionService, false);
  assert.equal(desc.inner.introAuthRequired, undefined);
  assert.equal(desc.clientAuthUsed, false);
  const [ip] = desc.inner.introPoints;
  assert.ok(ip !== undefined && desc.inner.introPoints.length === 1);
  const source = a12Input().introPoints[0]!;
  assert.ok(ip.linkSpecifiers.equals(source.linkSpecifiers));
  assert.equal(
    ip.linkSpecifiers.toString(),
    `ipv4 192.0.2.1:9001, legacy $${"AA".repeat(20)}, ed25519 ${"u7".repeat(21)}s`,
  );
  assert.equal(toHex(ip.onionKey.toBytes()), toHex(A12.onionKey));
  assert.equal(toHex(ip.authKey.toBytes()), toHex(A12.authKey));
  assert.equal(toHex(ip.encKey.toBytes()), toHex(A12.encKey));
  assert.equal(ip.encKeyCert.certifiedKey.toHex(), toHex(A12.encKeyEd));
  assert.equal(ip.authKeyCert.expirationHours, 526027);
  assert.equal(ip.encKeyCert.expirationHours, 526027);
  assert.equal(ip.authKeyCert.signingKey.toHex(), toHex(A12.signingKeyPub));
  assert.equal(ip.line, 2);
});

Deno.test("decodeHsDesc() picks the period whose blinded key signed the cert", async () => {
  const periods = [A12.period.previous(), A12.period.next(), A12.period];
  const desc = await decodeHsDesc(a12Text, { ...options, periods });
  assert.ok(desc.period.equals(A12.period));
  await rejects(a12Text, "outer-verify", "WrongBlindedKey", { periods: [A12.period.next()] });
  await rejects(a12Text, "outer-verify", "WrongBlindedKey", {
    periods: [new TimePeriod(21915, 60)],
  });
  await rejects(a12Text, "outer-verify", "WrongBlindedKey", { periods: [] });
});

Deno.test("decodeHsDesc() rejects a descriptor of another address", async () => {
  const other = HsIdKeypair.fromSeed(new Uint8Array(32).fill(9)).public;
  await rejects(a12Text, "outer-verify", "WrongBlindedKey", { identity: other });
});

Deno.test("decodeHsDesc() rejects an expired signing-key cert, like a tor client", async () => {
  const justValid = new Date(526027 * 3600 * 1000);
  await decodeHsDesc(a12Text, { ...options, now: justValid });
  const error = await rejects(a12Text, "outer-verify", "BadCert", {
    now: new Date(justValid.getTime() + 1000),
  });
  assert.ok(error.cause instanceof CertError && error.cause.kind === "Expired");
});

Deno.test("decodeHsDesc() rejects a changed signature, revision counter or body", async () => {
  const sigAt = a12Text.indexOf("\nsignature ") + 12;
  const flipped = a12Text.slice(0, sigAt) + (a12Text[sigAt] === "A" ? "B" : "A") +
    a12Text.slice(sigAt + 1);
  await rejects(flipped, "outer-verify", "BadSignature");
  await rejects(
    a12Text.replace("revision-counter 123456", "revision-counter 123457"),
    "outer-verify",
    "BadSignature",
  );
  await rejects(
    a12Text.replace("descriptor-lifetime 180", "descriptor-lifetime 181"),
    "outer-verify",
    "BadSignature",
  );
});

Deno.test("decodeHsDesc() reports syntax errors at outer-parse with line and keyword", async () => {
  const error = await rejects(
    a12Text.replace("revision-counter 123456\n", ""),
    "outer-parse",
    "Syntax",
  );
  assert.ok(error.cause instanceof NetdocSyntaxError);
  assert.equal(error.cause.kind, "MissingKeyword");
  assert.equal(error.cause.keyword, "revision-counter");
  assert.equal(
    error.cause.message,
    'Cannot parse descriptor "outer": missing keyword "revision-counter"',
  );
  const tooLarge = await rejects(a12Text, "outer-parse", "Syntax", { maxSize: 14107 });
  assert.equal((tooLarge.cause as NetdocSyntaxError).kind, "TooLarge");
  await decodeHsDesc(a12Text, { ...options, maxSize: 14108 });
});

Deno.test("decodeHsDesc() reports a corrupted layer as a decrypt MAC mismatch", async () => {
  const lines = a12Text.split("\n");
  const at = lines.indexOf("superencrypted") + 5;
  lines[at] = lines[at]!.replace(/^./, (c) => (c === "A" ? "B" : "A"));
  await rejects(resign(lines.join("\n")), "decrypt", "MacMismatch");
});

Deno.test("decodeHsDesc() reports a malformed middle layer at inner-parse, line included", async () => {
  const text = await assembleDescriptor({
    middle: () =>
      "desc-auth-type x25519\nauth-client AAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA\n",
  });
  const error = await rejects(text, "inner-parse", "Syntax");
  const cause = error.cause as NetdocSyntaxError;
  assert.equal(cause.document, "middle");
  assert.equal(cause.kind, "MissingKeyword");
  const badLine = await assembleDescriptor({
    middle: () =>
      "desc-auth-type x25519\ndesc-auth-ephemeral-key AAAA\n" +
      "auth-client AAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA\n" +
      "encrypted\n-----BEGIN MESSAGE-----\n" + "A".repeat(68) + "\n-----END MESSAGE-----",
  });
  const bad = (await rejects(badLine, "inner-parse", "Syntax")).cause as NetdocSyntaxError;
  assert.deepEqual([bad.document, bad.kind, bad.line, bad.keyword], [
    "middle",
    "BadArgument",
    2,
    "desc-auth-ephemeral-key",
  ]);
});

Deno.test("decodeHsDesc() reports a malformed inner header at inner-parse", async () => {
  const text = await assembleDescriptor({ inner: "create2-formats 3\n" });
  const cause = (await rejects(text, "inner-parse", "Syntax")).cause as NetdocSyntaxError;
  assert.deepEqual([cause.document, cause.kind, cause.line], ["inner", "BadArgument", 1]);
  const empty = await assembleDescriptor({ inner: "\0" });
  await rejects(empty, "decrypt", "MacMismatch");
});

Deno.test("decodeHsDesc() drops, and records, intro points that do not parse or verify", async () => {
  const expired = introPointText(0x10, { expirationHours: 1 });
  const broken = introPointText(0x30).replace(/enc-key ntor .*\n/, "");
  const good = introPointText(0x40);
  const text = await assembleDescriptor({ inner: `create2-formats 2\n${expired}${broken}${good}` });
  const desc = await decodeHsDesc(text, options);
  assert.equal(desc.inner.introPoints.length, 1);
  assert.equal(desc.inner.rejectedIntroPoints.length, 2);
  const [first, second] = desc.inner.rejectedIntroPoints;
  assert.ok(first?.error instanceof CertError && first.error.kind === "Expired");
  assert.equal(first.line, 2);
  assert.ok(second?.error instanceof NetdocSyntaxError && second.error.kind === "MissingKeyword");
  assert.equal(second.error.keyword, "enc-key");
  assert.equal(second.line, 2 + 15); // an intro-point section is 15 lines
});

Deno.test("decodeHsDesc() rejects intro points signed by another key", async () => {
  const stranger = HsDescSigningKeypair.fromSeed(new Uint8Array(32).fill(0x77));
  const text = await assembleDescriptor({
    inner: `create2-formats 2\n${introPointText(0x10, { signer: stranger })}`,
  });
  const desc = await decodeHsDesc(text, options);
  assert.equal(desc.inner.introPoints.length, 0);
  const [rejected] = desc.inner.rejectedIntroPoints;
  assert.ok(rejected?.error instanceof CertError && rejected.error.kind === "WrongSigner");
});

Deno.test("decodeHsDesc() rejects more than 20 usable intro points, counting after drops", async () => {
  const ips = Array.from({ length: 21 }, (_, i) => introPointText(i * 3 + 1));
  const tooMany = await assembleDescriptor({ inner: `create2-formats 2\n${ips.join("")}` });
  await rejects(tooMany, "inner-verify", "TooManyIntroPoints");
  ips[0] = introPointText(1, { expirationHours: 1 });
  const twenty = await assembleDescriptor({ inner: `create2-formats 2\n${ips.join("")}` });
  const desc = await decodeHsDesc(twenty, options);
  assert.equal(desc.inner.introPoints.length, 20);
});

Deno.test("decodeHsDesc() keeps unknown keywords in every layer and ignores them", async () => {
  const inner = `create2-formats 2\nfuture-header x y\n${introPointText(0x44)}`.replace(
    "onion-key ntor",
    "future-ip-line 1\n-----BEGIN FUTURE-----\nAAAA\n-----END FUTURE-----\nonion-key ntor",
  );
  const text = await assembleDescriptor({
    inner,
    middle: (blob) =>
      `desc-auth-type x25519 extra\ndesc-auth-ephemeral-key ${"A".repeat(43)}=\nfuture-mid 1\n` +
      `auth-client AAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA more\n` +
      `encrypted\n-----BEGIN MESSAGE-----\n${
        btoa(String.fromCharCode(...blob))
      }\n-----END MESSAGE-----\n`,
    outerExtra: "future-outer 7\n",
  });
  const desc = await decodeHsDesc(text, options);
  assert.deepEqual(desc.outer.unrecognized.map((i) => i.keyword), ["future-outer"]);
  assert.deepEqual(desc.middle.unrecognized.map((i) => i.keyword), ["future-mid"]);
  assert.deepEqual(desc.inner.unrecognized.map((i) => i.keyword), ["future-header"]);
  assert.deepEqual(desc.inner.introPoints[0]?.unrecognized.map((i) => i.keyword), [
    "future-ip-line",
  ]);
});

Deno.test("buildHsDesc() refuses 21 intro points and a descriptor over the size limit", async () => {
  const ip = makeIntroPoint({ onion: 1, auth: 2, enc: 3, expirationHours: 526027 });
  const input = { ...a12Input(), introPoints: Array(21).fill(ip) };
  await assert.rejects(buildHsDesc(input, { rng: seededRng("x") }), RangeError);
  const twenty = { ...a12Input(), introPoints: Array(20).fill(ip) };
  const built = await buildHsDesc(twenty, { rng: seededRng("x") });
  assert.ok(built.text.length < 50000);
  await assert.rejects(
    buildHsDesc(twenty, { rng: seededRng("x"), maxSize: built.text.length }),
    (e: unknown) => e instanceof HsDescTooLargeError && e.size === built.text.length,
  );
  await assert.rejects(
    buildHsDesc({ ...a12Input(), revisionCounter: 2n ** 64n }, { rng: seededRng("x") }),
    RangeError,
  );
});

Deno.test("buildHsDesc() takes the revision counter as a RevisionCounter or a uint64", async () => {
  const fromType = await buildHsDesc(
    { ...a12Input(), revisionCounter: RevisionCounter.from(123456) },
    { rng: a12Rng(), shuffle: noShuffle },
  );
  assert.equal(fromType.text, a12Text);
  assert.equal(fromType.revisionCounter, 123456n);
  const max = await buildHsDesc({ ...a12Input(), revisionCounter: 2n ** 64n - 1n }, {
    rng: seededRng("x"),
  });
  assert.equal((await decodeHsDesc(max.text, options)).outer.revisionCounter, 2n ** 64n - 1n);
});

Deno.test("buildHsDesc() makes a fresh signing key per build and re-certifies intro points", async () => {
  const input = { ...a12Input(), signingKey: undefined, ephemeralKey: undefined };
  const one = await buildHsDesc(input, { rng: seededRng("one") });
  const two = await buildHsDesc(input, { rng: seededRng("two") });
  assert.ok(!one.signingKey.equals(two.signingKey));
  const again = await buildHsDesc(input, { rng: seededRng("one") });
  assert.equal(again.text, one.text);
  for (const built of [one, two]) {
    const desc = await decodeHsDesc(built.text, options);
    const ip = desc.inner.introPoints[0]!;
    assert.ok(ip.authKeyCert.signingKey.equals(built.signingKey.toIdentity()));
    assert.ok(ip.encKeyCert.signingKey.equals(built.signingKey.toIdentity()));
    assert.equal(ip.authKeyCert.expirationHours, 526027);
  }
});

Deno.test("buildHsDesc() carries flow-control and re-publishes a decoded backend's intro points", async () => {
  const backend = await buildHsDesc(
    { ...a12Input(), flowControl: { versions: "1-2", sendmeInc: 31 } },
    { rng: seededRng("backend") },
  );
  const decoded = await decodeHsDesc(backend.text, options);
  assert.deepEqual(decoded.inner.flowControl, { versions: "1-2", sendmeInc: 31 });
  assert.ok(
    backend.innerPlaintext.startsWith(
      "create2-formats 2\nflow-control 1-2 31\nintroduction-point ",
    ),
  );
  const frontend = await buildHsDesc({
    ...a12Input(),
    introPoints: decoded.inner.introPoints,
    flowControl: decoded.inner.flowControl,
    signingKey: undefined,
  }, { rng: seededRng("frontend") });
  const again = await decodeHsDesc(frontend.text, options);
  const [a, b] = [decoded.inner.introPoints[0]!, again.inner.introPoints[0]!];
  assert.ok(a.linkSpecifiers.equals(b.linkSpecifiers) && a.authKey.equals(b.authKey));
  assert.ok(a.encKeyCert.certifiedKey.equals(b.encKeyCert.certifiedKey));
  assert.ok(!a.authKeyCert.signingKey.equals(b.authKeyCert.signingKey));
  assert.ok(frontend.innerPlaintext.endsWith("-----END ED25519 CERT-----\n"));
});
