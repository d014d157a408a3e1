import assert from "node:assert/strict";
import { fromHex, toHex } from "../../../src/bytes/mod.ts";
import { HsBlindIdKey, Subcredential } from "../../../src/keys/mod.ts";
import {
  decryptLayer,
  deriveLayerKeys,
  DescriptorCookie,
  encryptLayer,
  HsDescError,
  padMiddlePlaintext,
} from "../../../src/netdoc/mod.ts";
import { base64Lines } from "../../../src/netdoc/mod.ts";

// A fixed-input KDF/cipher vector: A' and the subcredential of tor's test_blinding_basics
// (TP 1234), revision counter 42, salt 00..0f; stem's _encrypt_layer with the salt forced gives
// the same blob.
const BLINDED = HsBlindIdKey.fromBytes(
  fromHex("3A50BF210E8F9EE955AE0014F7A6917FB65EBF098A86305ABB508D1A7291B6D5"),
);
const SUBCRED = Subcredential.fromBytes(
  fromHex("635D55907816E8D76398A675A50B1C2F3E36B42A5CA77BA3A0441285161AE07D"),
);
const SALT = fromHex("000102030405060708090a0b0c0d0e0f");
const COOKIE = DescriptorCookie.fromBytes(fromHex("07d087f1d8c68393721f6e70316d3b29"));
const base = { blindedKey: BLINDED, subcredential: SUBCRED, revisionCounter: 42n };
const PLAINTEXT = new TextEncoder().encode("create2-formats 2\n");

const BLOB =
  "000102030405060708090a0b0c0d0e0f5c6c1ed2c756cff95275cec0ffc9819340216b36574184e30d4a97e7d6da3cc763110716176167dadce677424ff23ca75d57";
const BLOB_WITH_COOKIE =
  "000102030405060708090a0b0c0d0e0f68492b90ba5ff26c0d32f858f088f9bd687c5502f0a69a64a0eddc2441415bccd4fd25010f588c2a968e2473ddbf6f703a7b";

Deno.test("deriveLayerKeys() matches the fixed-input vector for both layers", () => {
  const middle = deriveLayerKeys({ ...base, layer: "middle" }, SALT);
  assert.equal(
    toHex(middle.secretKey),
    "28612cc7b7a089a72d7cd7be6727f883396d562caa6139e471295872281476fe",
  );
  assert.equal(toHex(middle.secretIv), "f03f15a8e718ff5661716a94ca2561b4");
  assert.equal(
    toHex(middle.macKey),
    "63b2c8e2a44e8c225de66ff8a686fbe109a453a755cd19ed4d5008b9c092e62f",
  );
  const inner = deriveLayerKeys({ ...base, layer: "inner" }, SALT);
  assert.equal(
    toHex(inner.secretKey),
    "db8c0e6b00bef46c3f0cbbb384784db68f944b6f3205af4a6207e9f84cff3f2a",
  );
  assert.equal(toHex(inner.secretIv), "89328e79a6e06235013bac3072fa2488");
  assert.equal(
    toHex(inner.macKey),
    "16b393bd7fa608dc821dfbacdc96d7492bc829bacc4043e9f3866d0d12ba02fb",
  );
});

Deno.test("encryptLayer() matches the fixed-input blobs, with and without the cookie", async () => {
  const blob = await encryptLayer(PLAINTEXT, { ...base, layer: "inner", salt: SALT });
  assert.equal(toHex(blob), BLOB);
  assert.equal(
    base64Lines(blob),
    "AAECAwQFBgcICQoLDA0OD1xsHtLHVs/5UnXOwP/JgZNAIWs2V0GE4w1Kl+fW2jzH\nYxEHFhdhZ9rc5ndCT/I8p11X\n",
  );
  const withCookie = await encryptLayer(PLAINTEXT, {
    ...base,
    layer: "inner",
    descriptorCookie: COOKIE,
    salt: SALT,
  });
  assert.equal(toHex(withCookie), BLOB_WITH_COOKIE);
});

Deno.test("decryptLayer() opens the fixed-input blobs; a flipped bit is MacMismatch", async () => {
  const plain = await decryptLayer(fromHex(BLOB), { ...base, layer: "inner" });
  assert.deepEqual(plain, PLAINTEXT);
  const cookie = await decryptLayer(fromHex(BLOB_WITH_COOKIE), {
    ...base,
    layer: "inner",
    descriptorCookie: COOKIE,
  });
  assert.deepEqual(cookie, PLAINTEXT);
  for (const at of [0, 16, 40, 65]) {
    const bad = fromHex(BLOB);
    bad[at]! ^= 0x80;
    await assert.rejects(
      decryptLayer(bad, { ...base, layer: "inner" }),
      (e: unknown) => e instanceof HsDescError && e.stage === "decrypt" && e.kind === "MacMismatch",
    );
  }
  await assert.rejects(
    decryptLayer(fromHex(BLOB).subarray(0, 48), { ...base, layer: "inner" }),
    HsDescError,
  );
  // Without the cookie the cookie-encrypted blob does not open.
  await assert.rejects(
    decryptLayer(fromHex(BLOB_WITH_COOKIE), { ...base, layer: "inner" }),
    HsDescError,
  );
});

Deno.test("padMiddlePlaintext() pads to the next multiple of 10000, like tor (not stem)", () => {
  assert.equal(padMiddlePlaintext(new Uint8Array(2258)).length, 10000);
  assert.equal(padMiddlePlaintext(new Uint8Array(10000)).length, 10000);
  assert.equal(padMiddlePlaintext(new Uint8Array(10001)).length, 20000);
  assert.equal(padMiddlePlaintext(new Uint8Array(0)).length, 0);
});

Deno.test("encryptLayer() pads the middle layer before encrypting", async () => {
  const blob = await encryptLayer(PLAINTEXT, { ...base, layer: "middle", salt: SALT });
  assert.equal(blob.length, 16 + 10000 + 32);
  const plain = await decryptLayer(blob, { ...base, layer: "middle" });
  assert.deepEqual(plain.subarray(0, PLAINTEXT.length), PLAINTEXT);
  assert.ok(plain.subarray(PLAINTEXT.length).every((b) => b === 0));
});
