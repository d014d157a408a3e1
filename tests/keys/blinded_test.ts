import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/bytes/mod.ts";
import fc from "fast-check";
import { publicKeyFromSeed, verify } from "../../src/crypto/mod.ts";
import {
  blindingFactor,
  blindKeypair,
  blindPublicKey,
  credential,
  HsBlindIdKey,
  HsIdKey,
  HsIdKeypair,
  parseOnionAddress,
  Subcredential,
  subcredential,
} from "../../src/keys/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { readJsonVector, unixTime, vectorTest } from "../_vectors.ts";

interface BlindingBasics {
  time: string;
  "period_num": number;
  "period_length": number;
  pubkey: string;
  seckey: string;
  "blinding_param": string;
  "blinded_pubkey": string;
  subcredential: string;
  "blinded_seckey": string;
}

const lower = (hex: string) => hex.toLowerCase();

vectorTest("blinding matches tor's test_blinding_basics", async () => {
  const v = (await readJsonVector<{ blinding_basics: BlindingBasics }>("c_tor/test_hs_common.json"))
    .blinding_basics;
  const period = TimePeriod.containing(unixTime(v.time));
  assert.equal(period.number, v.period_num);
  assert.equal(period.lengthMinutes, v.period_length);
  const keypair = HsIdKeypair.fromExpanded(fromHex(v.seckey));
  assert.equal(toHex(keypair.public.toBytes()), lower(v.pubkey));
  assert.equal(keypair.hasSeed, false);

  assert.equal(toHex(blindingFactor(keypair.public, period)), lower(v.blinding_param));
  const blinded = blindPublicKey(keypair.public, period);
  assert.equal(toHex(blinded.toBytes()), lower(v.blinded_pubkey));
  assert.equal(toHex(subcredential(keypair.public, blinded).toBytes()), lower(v.subcredential));

  const blindedKeypair = blindKeypair(keypair, period);
  assert.equal(toHex(blindedKeypair.expandedSecret()), lower(v.blinded_seckey));
  assert.ok(blindedKeypair.public.equals(blinded));
  // The blinded key signs; its signature verifies against A' (and not against A).
  const msg = new TextEncoder().encode("msg");
  const sig = blindedKeypair.sign(msg);
  assert.ok(verify(blinded.toBytes(), msg, sig));
  assert.equal(verify(keypair.public.toBytes(), msg, sig), false);
});

vectorTest("blinding matches arti's TEST_HSID_2 at TP 19397", async () => {
  const v = (await readJsonVector<{
    test_data_2: {
      address: string;
      time: string;
      period_num: number;
      blinded_pubkey: string;
      subcredential: string;
    };
  }>("arti/hscrypto.json")).test_data_2;
  const id = parseOnionAddress(v.address);
  const period = TimePeriod.containing(unixTime(v.time));
  assert.equal(period.number, v.period_num);
  const blinded = blindPublicKey(id, period);
  assert.equal(toHex(blinded.toBytes()), lower(v.blinded_pubkey));
  assert.equal(toHex(subcredential(id, blinded).toBytes()), lower(v.subcredential));
});

Deno.test("blinding depends on the period number and on the period length", () => {
  const id = HsIdKeypair.fromSeed(new Uint8Array(32).fill(3)).public;
  const a = blindPublicKey(id, new TimePeriod(100, 1440));
  assert.equal(a.equals(blindPublicKey(id, new TimePeriod(101, 1440))), false);
  assert.equal(a.equals(blindPublicKey(id, new TimePeriod(100, 8))), false);
  // The rotation offset is not part of the blinding nonce.
  assert.ok(a.equals(blindPublicKey(id, new TimePeriod(100, 1440, 240))));
});

Deno.test("credential() and subcredential() follow [SUBCRED] step by step", () => {
  const id = HsIdKey.fromBytes(
    fromHex("833990B085C1A688C1D4C8B1F6B56AFAF5A2ECA674449E1D704F83765CCB7BC6"),
  );
  // N_hs_cred = H("credential" | A) for the key of tor's test_blinding_basics, which does not
  // list it: computed independently (Python hashlib.sha3_256).
  assert.equal(
    toHex(credential(id)),
    "96683a9c33235f31c46190f7e6edb2e9cf31af1e2cfc8f596ccf161b73c11a1d",
  );
});

Deno.test("HsBlindIdKey and Subcredential check lengths and copy their bytes", () => {
  assert.throws(() => HsBlindIdKey.fromBytes(new Uint8Array(31)), {
    name: "BytesError",
    kind: "BadLength",
  });
  assert.throws(() => Subcredential.fromBytes(new Uint8Array(33)), {
    name: "BytesError",
    kind: "BadLength",
  });
  const bytes = new Uint8Array(32).fill(1);
  const key = HsBlindIdKey.fromBytes(bytes);
  bytes[0] = 9;
  assert.equal(key.toBytes()[0], 1);
  key.toBytes()[1] = 9;
  assert.equal(key.toBytes()[1], 1);
});

Deno.test("blinded and identity keypairs never show their secret", () => {
  const keypair = HsIdKeypair.fromSeed(new Uint8Array(32).fill(5));
  const blinded = blindKeypair(keypair, new TimePeriod(1));
  const secretHex = toHex(keypair.expandedSecret()).slice(0, 16);
  for (
    const shown of [
      Deno.inspect(keypair),
      Deno.inspect(blinded),
      JSON.stringify({ keypair, blinded }),
      String(keypair),
      Deno.inspect({ nested: [keypair] }),
    ]
  ) {
    assert.equal(shown.includes(secretHex), false);
    assert.match(shown, /<secret>/);
  }
});

Deno.test("blindPublicKey() of a keypair (a'·B) equals that of its public key (h·A), and the keypair's", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.integer({ min: 0, max: 40_000 }),
      (seed, n) => {
        const period = new TimePeriod(n);
        const keypair = HsIdKeypair.fromSeed(seed);
        // A second key object with the same bytes: its own cache entry, the h·A route.
        const publicKey = HsIdKey.fromBytes(keypair.public.toBytes());
        const viaSecret = blindPublicKey(keypair, period);
        assert.deepEqual(viaSecret.toBytes(), blindPublicKey(publicKey, period).toBytes());
        // Anything carrying the public key (an offline identity) takes the h·A route too.
        const other = { public: HsIdKey.fromBytes(keypair.public.toBytes()) };
        assert.deepEqual(blindPublicKey(other, period).toBytes(), viaSecret.toBytes());
        assert.deepEqual(blindKeypair(keypair, period).public.toBytes(), viaSecret.toBytes());
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("an identity keypair's public key, made from its secret, is the key its bytes give", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      const keypair = HsIdKeypair.fromSeed(seed);
      assert.deepEqual(keypair.public.toBytes(), publicKeyFromSeed(seed));
      assert.ok(HsIdKey.fromBytes(keypair.public.toBytes()).equals(keypair.public));
    }),
    { numRuns: 40 },
  );
});
