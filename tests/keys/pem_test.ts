import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { concat, fromHex, toBase64, toHex } from "../../src/bytes/mod.ts";
import {
  decodePkcs8Pem,
  decodeTorSecretKeyFile,
  encodeEncryptedPkcs8Pem,
  encodeOnionAddress,
  encodePkcs8Pem,
  HsIdKeypair,
  isEncryptedPem,
  KeyError,
  type KeyErrorKind,
  PKCS8_ED25519_PREFIX,
} from "../../src/keys/mod.ts";
import { readBinaryVector, vectorTest } from "../_vectors.ts";

const SEED01 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function pem(der: Uint8Array, label = "PRIVATE KEY"): string {
  const b64 = toBase64(der).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function assertKeyError(fn: () => unknown, kind: KeyErrorKind, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KeyError, `expected KeyError, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

vectorTest(
  "decodePkcs8Pem() reads what Python cryptography (onionbalance-config) writes",
  async () => {
    const fixture = await readBinaryVector("project/ob_pkcs8_seed01.pem");
    const keypair = decodePkcs8Pem(fixture);
    // Seed 01..20 is the identity seed of the project's descriptor vector (`A12` in
    // tests/netdoc/hsdesc/_fixtures.ts).
    assert.equal(
      toHex(keypair.public.toBytes()),
      "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
    );
    assert.equal(
      encodeOnionAddress(keypair.public),
      "pg2vmlup4zkpsqdywejorkmlu6ib7bj242k35v7a4oiqxlieszspudyd.onion",
    );
    assert.ok(keypair.hasSeed);
    assert.deepEqual(keypair.seed(), SEED01);
    // encodePkcs8Pem() writes the same bytes.
    assert.equal(encodePkcs8Pem(keypair), new TextDecoder().decode(fixture));
  },
);

Deno.test("decodePkcs8Pem() accepts CRLF, surrounding whitespace and split base64", () => {
  const text = encodePkcs8Pem(HsIdKeypair.fromSeed(SEED01));
  const expected = HsIdKeypair.fromSeed(SEED01).public;
  assert.ok(decodePkcs8Pem(text.replaceAll("\n", "\r\n")).public.equals(expected));
  assert.ok(decodePkcs8Pem(`\n  ${text}\n\n`).public.equals(expected));
  const lines = text.split("\n");
  const split = [lines[0], lines[1]!.slice(0, 20), lines[1]!.slice(20), ...lines.slice(2)].join(
    "\n",
  );
  assert.ok(decodePkcs8Pem(split).public.equals(expected));
});

Deno.test("decodePkcs8Pem() refuses other keys and says which", () => {
  const der = concat(PKCS8_ED25519_PREFIX, SEED01);
  const opts = { file: "ob.key" };
  assertKeyError(
    () => decodePkcs8Pem(pem(der, "ENCRYPTED PRIVATE KEY"), opts),
    "PassphraseRequired",
    /^Cannot read key file "ob.key": it is encrypted; give its passphrase/,
  );
  assertKeyError(
    () => decodePkcs8Pem(pem(der, "RSA PRIVATE KEY"), opts),
    "UnsupportedKeyFile",
    /"RSA PRIVATE KEY" PEM block/,
  );
  // RFC 8410 §10.3: an Ed25519 PKCS#8 v2 key (attributes and public key).
  const rfc8410 = "-----BEGIN PRIVATE KEY-----\n" +
    "MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n" +
    "oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n" +
    "Z9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PRIVATE KEY-----\n";
  assertKeyError(
    () => decodePkcs8Pem(rfc8410, opts),
    "UnsupportedKeyFile",
    /PKCS#8 form other than v1/,
  );
  const x25519 = concat(fromHex("302e020100300506032b656e04220420"), SEED01);
  assertKeyError(() => decodePkcs8Pem(pem(x25519), opts), "UnsupportedKeyFile", /X25519/);
  // A P-256 key's algorithm identifier (id-ecPublicKey) in an otherwise similar structure.
  const ec = concat(
    fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420"),
    SEED01,
  );
  assertKeyError(() => decodePkcs8Pem(pem(ec), opts), "UnsupportedKeyFile", /another algorithm/);
});

Deno.test("decodePkcs8Pem() says an RSA key is a v2 onion service's key, in PKCS#1 or PKCS#8", async () => {
  // tor's v2 `private_key` was a 1024-bit RSA key in PKCS#1 PEM ("RSA PRIVATE KEY").
  const { privateKey } = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-1",
    },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey));
  // PKCS#8 wraps PKCS#1: SEQUENCE { INTEGER 0, AlgorithmIdentifier (15 bytes), OCTET STRING }.
  assert.equal(toHex(pkcs8.subarray(4, 22)), "020100300d06092a864886f70d0101010500");
  const pkcs1 = pkcs8.subarray(26);
  const v2 =
    /^Cannot read key file "private_key": .*an RSA key, as v2 onion services used, and Tor removed v2 onion services/;
  const opts = { file: "private_key" };
  assertKeyError(
    () => decodePkcs8Pem(pem(pkcs1, "RSA PRIVATE KEY"), opts),
    "UnsupportedKeyFile",
    v2,
  );
  assertKeyError(() => decodePkcs8Pem(pem(pkcs8), opts), "UnsupportedKeyFile", v2);
});

Deno.test("decodePkcs8Pem() rejects broken armor, base64 and DER", () => {
  const good = encodePkcs8Pem(HsIdKeypair.fromSeed(SEED01));
  const der = concat(PKCS8_ED25519_PREFIX, SEED01);
  const cases: [string, RegExp][] = [
    ["", /expected "-----BEGIN PRIVATE KEY-----"/],
    ["garbage\n" + good, /expected "-----BEGIN PRIVATE KEY-----"/],
    [good.replace("-----END PRIVATE KEY-----", ""), /no "-----END PRIVATE KEY-----" line/],
    [good + "trailing\n", /text after/],
    [good.replace("MC4C", "MC4*"), /not base64/],
    ["-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", /not base64/],
    [pem(der.subarray(0, 47)), /PKCS#8 form other than v1/],
    [pem(concat(der, new Uint8Array([0]))), /PKCS#8 form other than v1/],
    [pem(new Uint8Array([1, 2, 3])), /not a PKCS#8 structure/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => decodePkcs8Pem(text), (e: unknown) => {
      assert.ok(e instanceof KeyError, `${JSON.stringify(text)}: ${e}`);
      assert.match(e.message, pattern, JSON.stringify(text));
      return true;
    });
  }
});

vectorTest("encodePkcs8Pem() refuses a key that has no seed", async () => {
  const torKey = decodeTorSecretKeyFile(
    await readBinaryVector("onionbalance/hs_ed25519_secret_key"),
  );
  assert.throws(() => encodePkcs8Pem(torKey), TypeError);
});

const PASSPHRASE = new TextEncoder().encode("pem test passphrase");

Deno.test("encodeEncryptedPkcs8Pem() writes a key that decodePkcs8Pem() reads with its passphrase", () => {
  const keypair = HsIdKeypair.fromSeed(SEED01);
  const text = encodeEncryptedPkcs8Pem(keypair, PASSPHRASE);
  assert.ok(text.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
  assert.ok(isEncryptedPem(text));
  const back = decodePkcs8Pem(text, { file: "ob.key", passphrase: PASSPHRASE });
  assert.ok(back.public.equals(keypair.public));
  assert.deepEqual(back.seed(), SEED01);
  // CRLF line ends, as bytes.
  const crlf = new TextEncoder().encode(text.replaceAll("\n", "\r\n"));
  assert.ok(decodePkcs8Pem(crlf, { passphrase: PASSPHRASE }).public.equals(keypair.public));
  // A passphrase given for an unencrypted key is not needed and not used.
  const plain = encodePkcs8Pem(keypair);
  assert.ok(decodePkcs8Pem(plain, { passphrase: PASSPHRASE }).public.equals(keypair.public));
  assert.equal(isEncryptedPem(plain), false);
});

Deno.test("decodePkcs8Pem() asks for the passphrase of an encrypted key, naming the file", () => {
  const text = encodeEncryptedPkcs8Pem(HsIdKeypair.fromSeed(SEED01), PASSPHRASE);
  assertKeyError(
    () => decodePkcs8Pem(text, { file: "/etc/onionbalance/key.pem" }),
    "PassphraseRequired",
    /^Cannot read key file "\/etc\/onionbalance\/key.pem": it is encrypted; give its passphrase \(.*--passphrase-file/,
  );
  assertKeyError(() => decodePkcs8Pem(text), "PassphraseRequired", /^Cannot read PEM key: /);
});

Deno.test("decodePkcs8Pem() refuses a wrong passphrase, naming the file and not the passphrase", () => {
  const text = encodeEncryptedPkcs8Pem(HsIdKeypair.fromSeed(SEED01), PASSPHRASE);
  const wrong = new TextEncoder().encode("not the pem test passphrase");
  assert.throws(() => decodePkcs8Pem(text, { file: "ob.key", passphrase: wrong }), (e: unknown) => {
    assert.ok(e instanceof KeyError);
    assert.equal(e.kind, "WrongPassphrase");
    assert.equal(e.file, "ob.key");
    assert.equal(
      e.message,
      'Cannot read key file "ob.key": wrong passphrase, or an encryption this program cannot ' +
        "read (PBES2 with PBKDF2-HMAC-SHA256/512 or scrypt, AES-CBC)",
    );
    assert.ok(!e.message.includes("pem test"), "the message holds no passphrase");
    return true;
  });
});

Deno.test("decodePkcs8Pem() refuses an encrypted key of another algorithm or broken inside", () => {
  // An encrypted X25519 key, made by node:crypto (OpenSSL) as the test oracle.
  const x25519 = generateKeyPairSync("x25519").privateKey.export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "pem test passphrase",
  });
  assertKeyError(
    () => decodePkcs8Pem(String(x25519), { file: "x.pem", passphrase: PASSPHRASE }),
    "UnsupportedKeyFile",
    /^Cannot read key file "x.pem": an encrypted X25519 key, expected an Ed25519 key$/,
  );
  // Well armored, but not an EncryptedPrivateKeyInfo.
  assertKeyError(
    () =>
      decodePkcs8Pem(pem(new Uint8Array([1, 2, 3]), "ENCRYPTED PRIVATE KEY"), {
        passphrase: PASSPHRASE,
      }),
    "BadKeyFile",
    /not a PKCS#8 EncryptedPrivateKeyInfo/,
  );
  const text = encodeEncryptedPkcs8Pem(HsIdKeypair.fromSeed(SEED01), PASSPHRASE);
  assertKeyError(
    () => decodePkcs8Pem(text.replace("-----END ENCRYPTED PRIVATE KEY-----", "")),
    "BadKeyFile",
    /no "-----END ENCRYPTED PRIVATE KEY-----" line/,
  );
});

Deno.test("isEncryptedPem() looks at the first line only", () => {
  const begin = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
  assert.ok(isEncryptedPem(`${begin}\nAAAA\n`));
  assert.ok(isEncryptedPem(`\r\n \t${begin}\r\nAAAA\r\n`));
  assert.ok(isEncryptedPem(new TextEncoder().encode(`\n${begin}\n`)));
  assert.ok(isEncryptedPem(begin));
  assert.equal(isEncryptedPem(`${begin}X\n`), false);
  assert.equal(isEncryptedPem(`x\n${begin}\n`), false);
  assert.equal(isEncryptedPem("-----BEGIN PRIVATE KEY-----\n"), false);
  assert.equal(isEncryptedPem(new Uint8Array(0)), false);
  assert.equal(isEncryptedPem(""), false);
});

vectorTest("encodeEncryptedPkcs8Pem() refuses a key that has no seed", async () => {
  const torKey = decodeTorSecretKeyFile(
    await readBinaryVector("onionbalance/hs_ed25519_secret_key"),
  );
  assert.throws(() => encodeEncryptedPkcs8Pem(torKey, PASSPHRASE), TypeError);
  assert.throws(
    () => encodeEncryptedPkcs8Pem(HsIdKeypair.fromSeed(SEED01), new Uint8Array(0)),
    RangeError,
  );
});
