import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/bytes/mod.ts";
import {
  blindExpandedSecret,
  blindPublicKeyBytes,
  expandSeed,
  publicKeyFromExpanded,
  publicKeyFromSeed,
} from "../../src/crypto/mod.ts";
import { readCStringArrays, readJsonVector, vectorTest } from "../_vectors.ts";

vectorTest(
  "blindExpandedSecret() and blindPublicKeyBytes() match all rows of tor's ed25519_vectors.inc",
  async () => {
    // tor src/test/ed25519_vectors.inc (tests/vectors/README.md): the parameter is used as h directly.
    const v = await readCStringArrays("c_tor/ed25519_vectors.inc");
    const col = (name: string) => v.get(`ED25519_${name}`)!;
    assert.equal(col("BLINDING_PARAMS").length, 10);
    col("BLINDING_PARAMS").forEach((param, i) => {
      const esk = fromHex(col("EXPANDED_SECRET_KEYS")[i]!);
      assert.equal(
        toHex(expandSeed(fromHex(col("SECRET_KEYS")[i]!))),
        col("EXPANDED_SECRET_KEYS")[i],
      );
      const blinded = blindExpandedSecret(esk, fromHex(param));
      assert.equal(toHex(blinded), col("BLINDED_SECRET_KEYS")[i], `row ${i} ESK'`);
      const pub = fromHex(col("PUBLIC_KEYS")[i]!);
      assert.equal(toHex(blindPublicKeyBytes(pub, fromHex(param))), col("BLINDED_PUBLIC_KEYS")[i]);
      // The public key of ESK' is A'.
      assert.equal(toHex(publicKeyFromExpanded(blinded)), col("BLINDED_PUBLIC_KEYS")[i]);
    });
  },
);

vectorTest("blindPublicKeyBytes() reproduces stem's test_blinding", async () => {
  const { blinding } = await readJsonVector<{
    blinding: { seed: string; blinding_nonce: string; blinded_pubkey: string };
  }>("stem/hidden_service_v3.json");
  const pub = publicKeyFromSeed(fromHex(blinding.seed));
  assert.equal(
    toHex(pub),
    "af06a3e3291714e4f356c19c9b15cd1951ec6e6662aa77be07547f289383341d", // stem test_blinding
  );
  assert.equal(
    toHex(blindPublicKeyBytes(pub, fromHex(blinding.blinding_nonce))),
    blinding.blinded_pubkey,
  );
});

Deno.test("blindExpandedSecret() rejects a wrong length and blindPublicKeyBytes() a torsion point", () => {
  assert.throws(() => blindExpandedSecret(new Uint8Array(32), new Uint8Array(32)), TypeError);
  const torsion = fromHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
  assert.throws(() => blindPublicKeyBytes(torsion, new Uint8Array(32)), RangeError);
});
