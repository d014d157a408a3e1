import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/bytes/mod.ts";
import { verify } from "../../src/crypto/mod.ts";
import {
  decodeHostnameFile,
  decodeTorPublicKeyFile,
  decodeTorSecretKeyFile,
  encodeHostnameFile,
  encodeOnionAddress,
  encodeTorPublicKeyFile,
  encodeTorSecretKeyFile,
  HsIdKey,
  HsIdKeypair,
  KeyError,
  type KeyErrorKind,
  TOR_PUBLIC_KEY_HEADER,
  TOR_SECRET_KEY_HEADER,
} from "../../src/keys/mod.ts";
import { readBinaryVector, readJsonVector, vectorTest } from "../_vectors.ts";

function assertKeyError(fn: () => unknown, kind: KeyErrorKind, pattern: RegExp): KeyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KeyError, `expected KeyError, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail("no error");
}

Deno.test("the key-file headers are tor's bytes (tor crypto_format.c)", () => {
  assert.equal(
    toHex(TOR_SECRET_KEY_HEADER),
    "3d3d206564323535313976312d7365637265743a207479706530203d3d000000",
  );
  assert.equal(
    toHex(TOR_PUBLIC_KEY_HEADER),
    "3d3d206564323535313976312d7075626c69633a207479706530203d3d000000",
  );
});

vectorTest("decodeTorSecretKeyFile() reads OnionBalance's tor key fixture", async () => {
  const bytes = await readBinaryVector("onionbalance/hs_ed25519_secret_key");
  const { keys } = await readJsonVector<{ keys: { address: string; message: string } }>(
    "onionbalance/test_v3.json",
  );
  const keypair = decodeTorSecretKeyFile(bytes);
  assert.equal(encodeOnionAddress(keypair.public), keys.address);
  assert.equal(keypair.hasSeed, false);
  assert.equal(keypair.seed(), undefined);
  // Round trip is byte for byte.
  assert.deepEqual(encodeTorSecretKeyFile(keypair), bytes);
  // Signing with the expanded key verifies (OnionBalance's test_load_tor_privkey).
  const msg = new TextEncoder().encode(keys.message);
  assert.ok(verify(keypair.public.toBytes(), msg, keypair.sign(msg)));
});

vectorTest("the public-key and hostname files round-trip (tor's test_build_address)", async () => {
  const { build_address: v } = await readJsonVector<{
    build_address: { pubkey: string; hostname_file: string };
  }>("c_tor/test_hs_common.json");
  const key = HsIdKey.fromBytes(fromHex(v.pubkey));
  assert.equal(encodeHostnameFile(key), v.hostname_file);
  assert.ok(decodeHostnameFile(v.hostname_file).equals(key));
  assert.ok(decodeHostnameFile(new TextEncoder().encode(v.hostname_file)).equals(key));
  assert.ok(decodeHostnameFile(v.hostname_file.trimEnd()).equals(key)); // no final newline
  const pubFile = encodeTorPublicKeyFile(key);
  assert.equal(pubFile.length, 64);
  assert.ok(decodeTorPublicKeyFile(pubFile).equals(key));
});

vectorTest("decodeTorSecretKeyFile() names the file and what is wrong", async () => {
  const good = await readBinaryVector("onionbalance/hs_ed25519_secret_key");
  const file = { file: "/var/lib/tor/hs/hs_ed25519_secret_key" };
  const named = /^Cannot read key file "\/var\/lib\/tor\/hs\/hs_ed25519_secret_key": /;
  assertKeyError(
    () => decodeTorSecretKeyFile(good.subarray(0, 95), file),
    "BadLength",
    /truncated: 95 bytes, expected 96/,
  );
  assertKeyError(
    () => decodeTorSecretKeyFile(good.subarray(0, 20), file),
    "BadLength",
    /shorter than the 32-byte header/,
  );
  assertKeyError(() => decodeTorSecretKeyFile(new Uint8Array(0), file), "BadLength", named);
  const long = new Uint8Array(97);
  long.set(good);
  assertKeyError(() => decodeTorSecretKeyFile(long, file), "BadLength", /too long: 97 bytes/);
  const publicHeader = good.slice();
  publicHeader.set(TOR_PUBLIC_KEY_HEADER);
  assertKeyError(
    () => decodeTorSecretKeyFile(publicHeader, file),
    "BadKeyFile",
    /wrong key type "ed25519v1-public"/,
  );
  const tag1 = good.slice();
  tag1[25] = "1".charCodeAt(0); // "type0" → "type1"
  assertKeyError(() => decodeTorSecretKeyFile(tag1, file), "BadKeyFile", /wrong tag "type1"/);
  const padding = good.slice();
  padding[31] = 0x20;
  assertKeyError(() => decodeTorSecretKeyFile(padding, file), "BadKeyFile", /bad header/);
  const noHeader = good.slice();
  noHeader[0] = 0x41;
  const e = assertKeyError(() => decodeTorSecretKeyFile(noHeader, file), "BadKeyFile", named);
  assert.equal(e.file, file.file);
  // The scalar 0 gives the identity point: no usable key.
  const zero = new Uint8Array(96);
  zero.set(TOR_SECRET_KEY_HEADER);
  assertKeyError(() => decodeTorSecretKeyFile(zero, file), "InvalidKey", /no usable public key/);
  // Without a file name, the message says which kind of file.
  assertKeyError(
    () => decodeTorSecretKeyFile(good.subarray(0, 50)),
    "BadLength",
    /^Cannot read tor secret key: /,
  );
});

vectorTest("key-file errors never contain key material", async () => {
  const good = await readBinaryVector("onionbalance/hs_ed25519_secret_key");
  const secretHex = toHex(good.subarray(32, 48));
  const cut = good.subarray(0, 90);
  try {
    decodeTorSecretKeyFile(cut, { file: "k" });
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof KeyError);
    assert.equal(e.message.includes(secretHex), false);
    assert.equal(Deno.inspect(e).includes(secretHex), false);
  }
});

Deno.test("decodeTorPublicKeyFile() and decodeHostnameFile() reject bad files", () => {
  const key = HsIdKeypair.fromSeed(new Uint8Array(32).fill(1)).public;
  const pub = encodeTorPublicKeyFile(key);
  assertKeyError(() => decodeTorPublicKeyFile(pub.subarray(0, 63)), "BadLength", /truncated/);
  assertKeyError(
    () => decodeTorPublicKeyFile(encodeTorSecretKeyFile(HsIdKeypair.fromSeed(new Uint8Array(32)))),
    "BadKeyFile",
    /wrong key type "ed25519v1-secret"/,
  );
  const torsion = new Uint8Array(64);
  torsion.set(TOR_PUBLIC_KEY_HEADER);
  torsion.set(fromHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), 32);
  assertKeyError(
    () => decodeTorPublicKeyFile(torsion, { file: "p" }),
    "InvalidKey",
    /key file "p"/,
  );
  const host = encodeHostnameFile(key);
  assertKeyError(
    () => decodeHostnameFile(host.slice(0, 56) + "\n", { file: "h" }),
    "BadKeyFile",
    /key file "h"/,
  );
  assertKeyError(() => decodeHostnameFile(host + "\n"), "BadKeyFile", /hostname file/);
  assertKeyError(
    () => decodeHostnameFile(host.replace("\n", "\r\n")),
    "BadKeyFile",
    /hostname file/,
  );
  assertKeyError(
    () => decodeHostnameFile("expyuzz4wqqyqhjn.onion\n", { file: "h" }),
    "V2Address",
    /^Cannot read key file "h": .*Tor removed v2/,
  );
  const flipped = (host[0] === "a" ? "b" : "a") + host.slice(1);
  assertKeyError(() => decodeHostnameFile(flipped), "BadChecksum", /checksum/);
});
