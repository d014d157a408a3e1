/**
 * Interop with Debian's python3-stem 1.8.1 (the library OnionBalance 0.2.x
 * builds its descriptors with), through `tests/python/stem_hsdesc.py`:
 * stem decrypts the descriptors we build, and we decode the ones stem builds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fromHex, toHex } from "../../../src/bytes/mod.ts";
import { seededRng } from "../../../src/crypto/mod.ts";
import { makeOfflineBundle } from "../../../src/custody/mod.ts";
import { blindingFactor, encodeOnionAddress } from "../../../src/keys/mod.ts";
import {
  buildHsDesc,
  type BuiltHsDesc,
  decodeHsDesc,
  type HsDescBuildInput,
  LinkSpecifiers,
} from "../../../src/netdoc/mod.ts";
import { TimePeriod } from "../../../src/time/mod.ts";
import { A12, a12Input, a12Rng, counting, fill, makeIntroPoint, noShuffle } from "./_fixtures.ts";

const SCRIPT = new URL("../../python/stem_hsdesc.py", import.meta.url).pathname;

async function stem<T>(job: unknown): Promise<T> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

interface StemCert {
  type: number;
  expirationHours: number;
  key: string;
  signingKey: string;
}
interface StemDecrypted {
  lifetime: number;
  revisionCounter: number;
  signingCert: StemCert;
  authClients: number;
  formats: number[];
  introductionPoints: {
    linkSpecifiers: [number, string][];
    onionKey: string;
    authKeyCert: StemCert;
    encKey: string;
    encKeyCert: StemCert;
  }[];
}

/** Link specifiers from stem's `[type, hex]` pairs. */
function linkSpecifiers(pairs: readonly [number, string][]): LinkSpecifiers {
  return LinkSpecifiers.encode(
    pairs.map(([type, hex]) => ({ kind: "unknown", type, data: fromHex(hex) })),
  );
}

async function assertStemReads(input: HsDescBuildInput, built: BuiltHsDesc): Promise<void> {
  const address = encodeOnionAddress(input.identity.public);
  const got = await stem<StemDecrypted>({ op: "decrypt", address, descriptor: built.text });
  assert.equal(got.lifetime, 180);
  assert.equal(BigInt(got.revisionCounter), built.revisionCounter);
  assert.equal(got.signingCert.type, 8);
  assert.equal(got.signingCert.key, toHex(built.signingKey.toBytes()));
  assert.equal(got.signingCert.signingKey, toHex(built.blindedKey.toBytes()));
  assert.equal(got.authClients, 16);
  assert.deepEqual(got.formats, [2]);
  assert.equal(got.introductionPoints.length, input.introPoints.length);
  got.introductionPoints.forEach((ip, i) => {
    const want = input.introPoints[i]!;
    assert.ok(linkSpecifiers(ip.linkSpecifiers).equals(want.linkSpecifiers), "link specifiers");
    assert.equal(ip.onionKey, want.onionKey.toString());
    assert.equal(ip.encKey, want.encKey.toString());
    assert.deepEqual(ip.authKeyCert, {
      type: 9,
      expirationHours: want.authKeyCert.expirationHours,
      key: toHex(want.authKey.toBytes()),
      signingKey: toHex(built.signingKey.toBytes()),
    });
    assert.deepEqual(ip.encKeyCert, {
      type: 11,
      expirationHours: want.encKeyCert.expirationHours,
      key: want.encKeyCert.certifiedKey.toHex(),
      signingKey: toHex(built.signingKey.toBytes()),
    });
  });
}

Deno.test("stem decrypts the A.12 descriptor we build", async () => {
  const input = a12Input();
  await assertStemReads(input, await buildHsDesc(input, { rng: a12Rng(), shuffle: noShuffle }));
});

Deno.test("stem decrypts a 3-intro-point descriptor with IPv6 and flow-control", async () => {
  const rng = seededRng("stem-interop");
  const introPoints = [1, 2, 3].map((i) =>
    makeIntroPoint({
      onion: i * 3,
      auth: i * 3 + 1,
      enc: i * 3 + 2,
      expirationHours: 526000 + i,
      linkSpecifiers: LinkSpecifiers.encode([
        { kind: "ipv4", address: `198.51.100.${i}`, port: 443 },
        { kind: "legacy-id", rsaId: fill(20, i) },
        { kind: "ed25519-id", ed25519Id: fill(32, i) },
        { kind: "ipv6", address: `2001:db8::${i}`, port: 443 },
      ]),
    })
  );
  const input = {
    ...a12Input(),
    introPoints,
    revisionCounter: 2n ** 40n + 5n,
    flowControl: { versions: "1-2", sendmeInc: 31 },
    signingKey: undefined,
    ephemeralKey: undefined,
  };
  await assertStemReads(input, await buildHsDesc(input, { rng }));
});

Deno.test("we decode a descriptor stem builds (its padding, no final newlines)", async () => {
  const period = new TimePeriod(20000);
  const expirationHours = Math.floor(Date.now() / 3600_000) + 54;
  // 192.0.2.1:9001, legacy id 0xAA×20, ed25519 id 0xBB×32
  const specs: [number, string][] = [[0, "c00002012329"], [2, "aa".repeat(20)], [
    3,
    "bb".repeat(32),
  ]];
  const { descriptor } = await stem<{ descriptor: string }>({
    op: "build",
    identitySeed: toHex(counting(1, 32)),
    blindingNonce: toHex(blindingFactor(A12.identity.public, period)),
    signingSeed: toHex(counting(0x20, 32)),
    revisionCounter: 987654321,
    introPoints: [0x44, 0x50].map((s) => ({
      linkSpecifiers: specs,
      onionSecret: toHex(fill(32, s)),
      authSeed: toHex(fill(32, s + 1)),
      encSecret: toHex(fill(32, s + 2)),
      expirationHours: expirationHours,
    })),
  });
  assert.ok(!descriptor.endsWith("\n"), "stem leaves off the final newline");
  const desc = await decodeHsDesc(descriptor, {
    identity: A12.identity.public,
    periods: [period.previous(), period],
    now: new Date(),
  });
  assert.ok(desc.period.equals(period));
  assert.equal(desc.outer.revisionCounter, 987654321n);
  assert.equal(desc.middle.authClients.length, 16);
  assert.equal(desc.inner.rejectedIntroPoints.length, 0);
  assert.equal(desc.inner.introPoints.length, 2);
  [0x44, 0x50].forEach((s, i) => {
    const want = makeIntroPoint({ onion: s, auth: s + 1, enc: s + 2, expirationHours });
    const got = desc.inner.introPoints[i]!;
    assert.ok(got.linkSpecifiers.equals(linkSpecifiers(specs)));
    assert.ok(got.onionKey.equals(want.onionKey));
    assert.ok(got.authKey.equals(want.authKey));
    assert.ok(got.encKey.equals(want.encKey));
    assert.ok(got.encKeyCert.certifiedKey.equals(want.encKeyCert.certifiedKey));
    assert.equal(got.authKeyCert.expirationHours, expirationHours);
  });
});

Deno.test("stem decrypts a descriptor built from an offline key bundle (rend-spec-v3 §1.7)", async () => {
  const now = Math.floor(Date.now() / 1000);
  const bundle = makeOfflineBundle(A12.identity, {
    from: now,
    periods: 2,
    now,
    rng: seededRng("stem offline"),
  });
  const signer = bundle.signerFor(bundle.first, new Date(now * 1000));
  assert.ok(signer.ok);
  const input: HsDescBuildInput = {
    ...a12Input(),
    identity: signer.identity,
    signingKey: signer.signingKey,
    period: bundle.first,
    now: new Date(now * 1000),
    ephemeralKey: undefined,
  };
  const built = await buildHsDesc(input, { rng: seededRng("stem offline build") });
  assert.ok(built.signingKey.equals(signer.signingKey.public));
  await assertStemReads(input, built);
});
