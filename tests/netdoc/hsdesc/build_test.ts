import assert from "node:assert/strict";
import { toHex } from "../../../src/bytes/mod.ts";
import { sha256 } from "../../../src/crypto/mod.ts";
import { buildHsDesc } from "../../../src/netdoc/mod.ts";
import { CertCache, HsDescSigningKeypair } from "../../../src/netdoc/hsdesc/mod.ts";
import { A12, a12Input, a12Rng, noShuffle } from "./_fixtures.ts";

const hash = (text: string) => toHex(sha256(text));

Deno.test("buildHsDesc() reproduces the A.12 descriptor byte for byte", async () => {
  const rng = a12Rng();
  const built = await buildHsDesc(a12Input(), { rng, shuffle: noShuffle });
  assert.equal(rng.remaining(), 0);
  assert.equal(toHex(built.blindedKey.toBytes()), toHex(A12.blindedKey));
  assert.equal(toHex(built.subcredential.toBytes()), toHex(A12.subcredential));
  assert.equal(toHex(built.signingKey.toBytes()), toHex(A12.signingKeyPub));
  assert.equal(built.innerPlaintext.length, A12.innerLength);
  assert.equal(hash(built.innerPlaintext), A12.innerSha256);
  assert.equal(built.middlePlaintext.length, A12.middleLength);
  assert.equal(hash(built.middlePlaintext), A12.middleSha256);
  assert.equal(built.text.length, A12.descLength);
  assert.equal(hash(built.text), A12.descSha256);
});

Deno.test("buildHsDesc() with a CertCache gives the same bytes, and the cache keeps what the last two rounds used", async () => {
  const fresh = await buildHsDesc(a12Input(), { rng: a12Rng(), shuffle: noShuffle });
  const cache = new CertCache(a12Input().signingKey!);
  cache.nextRound();
  const first = await buildHsDesc({ ...a12Input(), certCache: cache }, {
    rng: a12Rng(),
    shuffle: noShuffle,
  });
  assert.equal(first.text, fresh.text, "A.12 byte for byte through the cache");
  assert.equal(cache.size, 2, "the intro point's two certs");
  cache.nextRound();
  const again = await buildHsDesc({ ...a12Input(), signingKey: undefined, certCache: cache }, {
    rng: a12Rng(),
    shuffle: noShuffle,
  });
  assert.equal(again.text, fresh.text, "the cache's signer is the signing key");
  assert.equal(cache.size, 2);
  // Two rounds that do not use them drop them.
  cache.nextRound();
  cache.nextRound();
  assert.equal(cache.size, 0);
  // A cache of another key is refused.
  const other = new CertCache(HsDescSigningKeypair.fromSeed(new Uint8Array(32).fill(9)));
  await assert.rejects(
    () => buildHsDesc({ ...a12Input(), certCache: other }, { rng: a12Rng(), shuffle: noShuffle }),
    /cert cache is for another signing key/,
  );
});
