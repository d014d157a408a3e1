/**
 * Offline key bundles: every cert verifies against the blinded key derived from the identity
 * public key alone, the file holds no identity or blinded secret, it round-trips (plain and
 * encrypted), damage and foreign certs are refused, and descriptors built from it decode.
 *
 * @module
 */

import assert from "node:assert/strict";
import { toBase64, toHex } from "../../src/bytes/mod.ts";
import { CertType, Ed25519Identity } from "../../src/cert/mod.ts";
import { seededRng, sha3 } from "../../src/crypto/mod.ts";
import {
  BundleError,
  CERT_MARGIN_SECONDS,
  decodeOfflineBundle,
  encodeOfflineBundle,
  loadOfflineBundle,
  makeOfflineBundle,
  scheduleFor,
  writeOfflineBundle,
} from "../../src/custody/mod.ts";
import {
  blindKeypair,
  blindPublicKey,
  HsIdKeypair,
  obRevisionCounter,
  onionAddressLabel,
} from "../../src/keys/mod.ts";
import { obRevisionKey } from "../../src/keys/revision_counter.ts";
import { buildHsDesc, decodeHsDesc } from "../../src/netdoc/hsdesc/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { makeIntroPoint } from "../netdoc/hsdesc/_fixtures.ts";

const NOW = Date.UTC(2026, 11, 7, 15, 30) / 1000; // 2026-12-07 15:30 UTC
const identity = HsIdKeypair.generate(seededRng("bundle identity"));
const torIdentity = HsIdKeypair.fromExpanded(identity.expandedSecret());

function make(options: { days?: number; periods?: number; lengthMinutes?: number } = {}) {
  const { lengthMinutes = 1440, ...span } = options;
  return makeOfflineBundle(identity, {
    from: NOW,
    ...(span.days === undefined && span.periods === undefined ? { days: 3 } : span),
    schedule: scheduleFor(lengthMinutes),
    now: NOW,
    rng: seededRng("bundle secret"),
  });
}

/** Every form a secret could take in a text file. */
function forms(secret: Uint8Array): string[] {
  const latin1 = String.fromCharCode(...secret);
  return [toHex(secret), toBase64(secret), toBase64(secret).replace(/=+$/, ""), latin1];
}

Deno.test("every cert of a bundle verifies against the blinded key of the identity's public key", () => {
  const bundle = make({ days: 30 });
  // 15:30 is before the 00:00 SRV: a service publishes the periods of yesterday and today, and
  // 30 days later (15:30 again) those of the day before and that day: 32 periods.
  assert.equal(bundle.certs.length, 32);
  for (const [i, cert] of bundle.certs.entries()) {
    const period = new TimePeriod(bundle.firstPeriod + i, 1440, 43200);
    const blinded = blindPublicKey(identity.public, period);
    assert.equal(cert.certType, CertType.HS_DESC_SIGNING);
    assert.ok(cert.signingKey.equals(Ed25519Identity.fromBytes(blinded.toBytes())));
    assert.equal(cert.expirationHours, Math.ceil((period.end() + CERT_MARGIN_SECONDS) / 3600));
    const signer = bundle.signerFor(period, new Date(NOW * 1000));
    assert.ok(signer.ok);
    assert.ok(cert.certifiedKey.equals(signer.signingKey.public.toIdentity()));
  }
  // The span: both descriptors can be made from `from` until at least 30 days later.
  assert.equal(bundle.first.number, TimePeriod.containing(NOW).number - 1);
  assert.equal(bundle.last.number, TimePeriod.containing(NOW + 30 * 86400).number);
  assert.ok(bundle.startsAt <= NOW && bundle.startsAt > NOW - 86400);
  assert.ok(bundle.endsAt >= NOW + 30 * 86400 && bundle.endsAt < NOW + 31 * 86400);
});

Deno.test("a bundle file holds neither the identity secret nor any blinded secret", () => {
  const bundle = make({ days: 5 });
  const text = encodeOfflineBundle(bundle);
  const secrets = [
    identity.seed()!,
    identity.expandedSecret(),
    identity.expandedSecret().slice(0, 32),
  ];
  for (let n = bundle.firstPeriod; n <= bundle.last.number; n++) {
    const blinded = blindKeypair(identity, new TimePeriod(n)).expandedSecret();
    secrets.push(blinded, blinded.slice(0, 32), blinded.slice(32));
  }
  for (const secret of secrets) {
    for (const form of forms(secret)) assert.ok(!text.includes(form), "a secret in the bundle");
  }
  assert.ok(text.includes(`onion-address ${onionAddressLabel(identity.public)}.onion\n`));
});

Deno.test("a bundle round-trips and keeps OnionBalance's revision counters of the key", async () => {
  const bundle = make({ periods: 4, lengthMinutes: 4 });
  const decoded = decodeOfflineBundle(encodeOfflineBundle(bundle));
  assert.equal(decoded.address, bundle.address);
  assert.equal(decoded.firstPeriod, bundle.firstPeriod);
  assert.deepEqual(decoded.schedule, { lengthMinutes: 4, rotationOffsetSeconds: 120 });
  assert.equal(decoded.createdAt, Math.floor(NOW));
  assert.deepEqual(
    decoded.certs.map((c) => toHex(c.encode())),
    bundle.certs.map((c) => toHex(c.encode())),
  );
  assert.deepEqual(decoded.revisionKey(), obRevisionKey(identity));
  // Counters from the bundle are the key's own (online and offline managers agree), for a
  // PEM key and for the same key in tor's format (OnionBalance keys the two differently).
  const times = { now: NOW, srvRunStart: NOW - 3600 };
  assert.equal(
    (await obRevisionCounter(decoded.revisionKey(), times)).toBigInt(),
    (await obRevisionCounter(identity, times)).toBigInt(),
  );
  const torBundle = makeOfflineBundle(torIdentity, {
    from: NOW,
    periods: 1,
    now: NOW,
    rng: seededRng("x"),
  });
  assert.equal(
    (await obRevisionCounter(torBundle.revisionKey(), times)).toBigInt(),
    (await obRevisionCounter(torIdentity, times)).toBigInt(),
  );
  // Two bundles of one key (a renewal) have other signing keys but the same revision key.
  const renewed = makeOfflineBundle(identity, {
    from: NOW,
    periods: 4,
    schedule: scheduleFor(4),
    now: NOW,
    rng: seededRng("renewal"),
  });
  assert.deepEqual(renewed.revisionKey(), bundle.revisionKey());
  assert.notDeepEqual(toHex(renewed.certs[0]!.encode()), toHex(bundle.certs[0]!.encode()));
});

Deno.test("signerFor() refuses periods outside the bundle, of another length, or with an expired cert", () => {
  const bundle = make({ periods: 2 });
  const at = new Date(NOW * 1000);
  assert.ok(bundle.signerFor(bundle.first, at).ok);
  assert.ok(bundle.signerFor(bundle.last, at).ok);
  const after = bundle.signerFor(bundle.last.next(), at);
  assert.ok(!after.ok);
  assert.match(after.reason, /offline key bundle covers periods \d+-\d+ only/);
  assert.ok(!bundle.signerFor(bundle.first.previous(), at).ok);
  const other = bundle.signerFor(new TimePeriod(bundle.firstPeriod, 60, 1800), at);
  assert.ok(!other.ok);
  assert.match(other.reason, /60 minutes, the bundle's 1440/);
  const late = new Date((bundle.last.end() + CERT_MARGIN_SECONDS + 3600) * 1000);
  const expired = bundle.signerFor(bundle.last, late);
  assert.ok(!expired.ok);
  assert.match(expired.reason, /expired/);
});

Deno.test("a damaged, edited or truncated bundle is refused", () => {
  const text = encodeOfflineBundle(make());
  assert.throws(() => decodeOfflineBundle(text.replace("periods ", "periods  ")), {
    name: "BundleError",
    message: /digest does not match/,
  });
  assert.throws(() => decodeOfflineBundle(text.slice(0, text.length / 2)), {
    message: /no "digest" line/,
  });
  assert.throws(() => decodeOfflineBundle("-----BEGIN PRIVATE KEY-----\n"), {
    message: /first line/,
  });
  assert.throws(
    () =>
      decodeOfflineBundle(
        text.replace("onionbalance-offline-keys 1", "onionbalance-offline-keys 2"),
      ),
    {
      message: /digest|version/,
    },
  );
});

Deno.test("a cert from another bundle (a valid digest) is refused as not certifying its signing key", () => {
  const mine = encodeOfflineBundle(make({ periods: 2 }));
  const other = encodeOfflineBundle(
    makeOfflineBundle(identity, { from: NOW, periods: 2, now: NOW, rng: seededRng("other") }),
  );
  const otherCert = other.split("\n").find((l) => l.startsWith("cert "))!;
  const lines = mine.split("\n");
  lines[lines.findIndex((l) => l.startsWith("cert "))] = otherCert;
  const body = lines.slice(0, -2).join("\n") + "\n";
  // Re-seal the digest, as an attacker editing the file could.
  const resealed = encodeWithDigest(body);
  assert.throws(() => decodeOfflineBundle(resealed), (error) => {
    assert.ok(error instanceof BundleError);
    assert.equal(error.kind, "BadCertificate");
    assert.match(error.message, /certifies another key/);
    return true;
  });
  // A cert of another identity does not verify at all.
  const stranger = HsIdKeypair.generate(seededRng("stranger"));
  const foreign = encodeOfflineBundle(
    makeOfflineBundle(stranger, {
      from: NOW,
      periods: 2,
      now: NOW,
      rng: seededRng("bundle secret"),
    }),
  );
  const foreignLines = foreign.split("\n");
  const mixed = [lines[0], ...foreignLines.slice(1, 2), ...lines.slice(2, -2)].join("\n") + "\n";
  assert.throws(() => decodeOfflineBundle(encodeWithDigest(mixed)), {
    message: /does not verify against the bundle's onion address/,
  });
});

/** Seals an edited body with a matching digest (SHA3-256 of the body), as an editor could. */
function encodeWithDigest(body: string): string {
  return `${body}digest sha3-256 ${toHex(sha3(body))}\n`;
}

Deno.test("an encrypted bundle needs its passphrase, and says so", () => {
  const bundle = make({ periods: 2 });
  const passphrase = new TextEncoder().encode("correct horse battery staple");
  const text = encodeOfflineBundle(bundle, { passphrase });
  assert.equal(text.match(/-----BEGIN ENCRYPTED PRIVATE KEY-----/g)?.length, 2);
  assert.ok(!text.includes("-----BEGIN PRIVATE KEY-----"));
  const decoded = decodeOfflineBundle(text, { passphrase });
  assert.deepEqual(decoded.revisionKey(), bundle.revisionKey());
  assert.throws(() => decodeOfflineBundle(text, { file: "f.keys" }), (error) => {
    assert.ok(error instanceof BundleError);
    assert.equal(error.kind, "Passphrase");
    assert.match(error.message, /"f\.keys": it is encrypted/);
    return true;
  });
  assert.throws(
    () => decodeOfflineBundle(text, { passphrase: new TextEncoder().encode("wrong") }),
    { message: /wrong passphrase/ },
  );
});

Deno.test("bundle files are written 0600 and refused when group or others may read them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ob-bundle-" });
  try {
    const path = `${dir}/frontend.keys`;
    await writeOfflineBundle(path, make({ periods: 2 }));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await loadOfflineBundle(path)).certs.length, 2);
    await assert.rejects(
      () => writeOfflineBundle(path, make({ periods: 2 })),
      Deno.errors.AlreadyExists,
    );
    await Deno.chmod(path, 0o644);
    await assert.rejects(() => loadOfflineBundle(path), { message: /chmod 600/ });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a descriptor built from a bundle (no identity secret) decodes as the frontend's", async () => {
  const bundle = make({ periods: 2 });
  const period = bundle.first;
  const signer = bundle.signerFor(period, new Date(NOW * 1000));
  assert.ok(signer.ok);
  const built = await buildHsDesc({
    identity: signer.identity,
    signingKey: signer.signingKey,
    period,
    revisionCounter: 42n,
    now: new Date(NOW * 1000),
    introPoints: [
      makeIntroPoint({ onion: 1, auth: 2, enc: 3, expirationHours: Math.floor(NOW / 3600) + 100 }),
    ],
  }, { rng: seededRng("build") });
  const desc = await decodeHsDesc(built.text, {
    identity: identity.public,
    periods: [period],
    now: new Date(NOW * 1000),
  });
  assert.equal(desc.outer.revisionCounter, 42n);
  assert.equal(desc.inner.introPoints.length, 1);
  // A bundle's cert for another period, or another signing key, is refused at build time.
  const next = bundle.signerFor(bundle.last, new Date(NOW * 1000));
  assert.ok(next.ok);
  await assert.rejects(
    () =>
      buildHsDesc({
        identity: next.identity,
        signingKey: signer.signingKey,
        period,
        revisionCounter: 1n,
        now: new Date(NOW * 1000),
        introPoints: [],
      }, { rng: seededRng("build") }),
    { name: "RangeError", message: /not for this signing key/ },
  );
});
