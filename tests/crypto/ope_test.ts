import assert from "node:assert/strict";
import { fromHex } from "../../src/bytes/mod.ts";
import { OPE_SAFETY_MAX, opeEncrypt } from "../../src/crypto/mod.ts";
import { vectorTest, vectorUrl } from "../_vectors.ts";

/** OPE_TEST_KEY and OPE_TEST_VECTORS of tor's test_crypto_ope.c (tests/vectors/README.md). */
async function torOpeVectors(): Promise<{ key: Uint8Array; vectors: [number, number][] }> {
  const text = await Deno.readTextFile(vectorUrl("c_tor/test_crypto_ope.excerpt.c"));
  const key = /OPE_TEST_KEY\[\] =\s*"([0-9a-f]{64})"/.exec(text)?.[1];
  assert.ok(key, "OPE_TEST_KEY not found");
  const vectors = [...text.matchAll(/\{ (\d+), UINT64_C\((\d+)\) \}/g)].map((
    m,
  ) => [Number(m[1]), Number(m[2])] as [number, number]);
  return { key: fromHex(key), vectors };
}

vectorTest("opeEncrypt() reproduces all of tor's OPE_TEST_VECTORS", async () => {
  const { key, vectors } = await torOpeVectors();
  assert.equal(vectors.length, 40);
  for (const [plaintext, expected] of vectors) {
    assert.equal(await opeEncrypt(key, plaintext), expected, `OPE(${plaintext})`);
  }
});

vectorTest("opeEncrypt() differs under another key (tor's key[8] += 1 check)", async () => {
  const { key, vectors } = await torOpeVectors();
  const other = key.slice();
  other[8]! += 1;
  for (const [plaintext, expected] of vectors.slice(0, 5)) {
    assert.notEqual(await opeEncrypt(other, plaintext), expected);
  }
});

Deno.test("opeEncrypt() is 0 at 0 and strictly increasing", async () => {
  const key = new TextEncoder().encode("A fixed key, chosen arbitrarily.");
  assert.equal(await opeEncrypt(key, 0), 0);
  let last = 0;
  // tor's test_crypto_ope_consistency inputs (OPE_INPUT_MAX = 2^18 as the last).
  for (const x of [5, 500, 1023, 1024, 1025, 2046, 2047, 2048, 2049, 10000, 1 << 18]) {
    const v = await opeEncrypt(key, x);
    assert.ok(v > last, `OPE(${x}) = ${v} is not above ${last}`);
    assert.ok(v >= x && v <= 65536 * x);
    last = v;
  }
});

Deno.test("opeEncrypt() rejects a wrong key length and inputs out of range", async () => {
  await assert.rejects(opeEncrypt(new Uint8Array(31), 1), TypeError);
  const key = new Uint8Array(32);
  for (const bad of [-1, 1.5, Number.NaN, OPE_SAFETY_MAX + 1]) {
    await assert.rejects(opeEncrypt(key, bad), RangeError);
  }
});
