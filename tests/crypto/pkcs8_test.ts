import assert from "node:assert/strict";
import { bytesEqual, fromHex } from "../../src/bytes/mod.ts";
import {
  decryptEd25519Pkcs8Pem,
  encryptEd25519Pkcs8Pem,
  Pkcs8Error,
  type Pkcs8ErrorKind,
} from "../../src/crypto/mod.ts";

// Interop with the real `openssl` command (OpenSSL 3, Debian package `openssl`). Passphrases
// reach openssl only through `-passin file:` / `-passout file:`, never on its command line.

const SEED = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const PASSPHRASE = new TextEncoder().encode("correct horse battery staple");
const PREFIX = fromHex("302e020100300506032b657004220420");
const OPENSSL: Deno.PermissionOptionsObject = { read: ["/tmp"], write: ["/tmp"], run: ["openssl"] };

/** Runs openssl; its stdout, or a failure with its stderr (which holds no secret). */
async function openssl(...args: string[]): Promise<Uint8Array> {
  const { code, stdout, stderr } = await new Deno.Command("openssl", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    assert.fail(`openssl ${args[0]} failed (${code}): ${new TextDecoder().decode(stderr)}`);
  }
  return stdout;
}

/** The seed openssl itself finds in an encrypted key file: the tail of its unencrypted DER. */
async function opensslSeed(file: string, passFile: string): Promise<Uint8Array> {
  const der = await openssl("pkey", "-in", file, "-passin", `file:${passFile}`, "-outform", "DER");
  assert.equal(der.length, 48, "openssl wrote a PKCS#8 v1 Ed25519 key");
  assert.ok(bytesEqual(der.subarray(0, 16), PREFIX), "openssl wrote the RFC 8410 prefix");
  return der.slice(16);
}

/** A temp folder holding the passphrase file (mode 0600), removed after `fn`. */
async function withPassFile(fn: (dir: string, passFile: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ob-pkcs8-" });
  try {
    const passFile = `${dir}/pass`;
    await Deno.writeFile(passFile, PASSPHRASE, { mode: 0o600 });
    await fn(dir, passFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertPkcs8Error(fn: () => unknown, kind: Pkcs8ErrorKind, pattern: RegExp): Pkcs8Error {
  let caught: Pkcs8Error | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Pkcs8Error, `expected Pkcs8Error, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("correct horse"), "the message holds no passphrase");
    caught = e;
    return true;
  });
  return caught!;
}

Deno.test("encryptEd25519Pkcs8Pem() and decryptEd25519Pkcs8Pem() round-trip a seed", () => {
  const seed = SEED.slice();
  const passphrase = PASSPHRASE.slice();
  const pem = encryptEd25519Pkcs8Pem(seed, passphrase);
  const lines = pem.split("\n");
  assert.equal(lines[0], "-----BEGIN ENCRYPTED PRIVATE KEY-----");
  assert.equal(lines.at(-2), "-----END ENCRYPTED PRIVATE KEY-----");
  assert.ok(pem.endsWith("\n"));
  assert.ok(lines.every((l) => l.length <= 64));
  assert.ok(bytesEqual(decryptEd25519Pkcs8Pem(pem, passphrase), SEED));
  // The inputs are left as they were, and each encryption has its own salt and IV.
  assert.ok(bytesEqual(seed, SEED) && bytesEqual(passphrase, PASSPHRASE));
  assert.notEqual(encryptEd25519Pkcs8Pem(SEED, PASSPHRASE), pem);
  // CRLF, surrounding whitespace and other line lengths are accepted.
  const crlf = `\r\n  ${pem.replaceAll("\n", "\r\n")}\n`;
  assert.ok(bytesEqual(decryptEd25519Pkcs8Pem(crlf, PASSPHRASE), SEED));
  const body = lines.slice(1, -2).join("");
  const oneLine = `${lines[0]}\n${body}\n${lines.at(-2)}\n`;
  assert.ok(bytesEqual(decryptEd25519Pkcs8Pem(oneLine, PASSPHRASE), SEED));
});

Deno.test("decryptEd25519Pkcs8Pem() refuses a wrong passphrase and says both possible causes", () => {
  const pem = encryptEd25519Pkcs8Pem(SEED, PASSPHRASE);
  for (const wrong of ["correct horse battery stapl", "", "correct horse battery staple\n"]) {
    const e = assertPkcs8Error(
      () => decryptEd25519Pkcs8Pem(pem, new TextEncoder().encode(wrong)),
      "WrongPassphrase",
      /^Cannot decrypt PKCS#8 key: wrong passphrase, or an encryption this program cannot read \(PBES2/,
    );
    assert.equal(e.reason, e.message.replace("Cannot decrypt PKCS#8 key: ", ""));
  }
});

Deno.test("encryptEd25519Pkcs8Pem() refuses a bad seed or an empty passphrase", () => {
  assert.throws(() => encryptEd25519Pkcs8Pem(new Uint8Array(31), PASSPHRASE), TypeError);
  assert.throws(() => encryptEd25519Pkcs8Pem(new Uint8Array(64), PASSPHRASE), TypeError);
  assert.throws(() => encryptEd25519Pkcs8Pem(SEED, new Uint8Array(0)), RangeError);
});

Deno.test("decryptEd25519Pkcs8Pem() rejects broken armor, base64 and DER as Malformed", () => {
  const pem = encryptEd25519Pkcs8Pem(SEED, PASSPHRASE);
  const armor = (b64: string) =>
    `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${b64}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
  const cases: [string, RegExp][] = [
    ["", /expected "-----BEGIN ENCRYPTED PRIVATE KEY-----"/],
    [pem.replaceAll("ENCRYPTED ", ""), /expected "-----BEGIN ENCRYPTED PRIVATE KEY-----"/],
    [pem.replace("-----END ENCRYPTED PRIVATE KEY-----", ""), /no "-----END/],
    [pem + "more\n", /text after/],
    [armor("MIGj*AAA"), /not base64/],
    [armor("AQID"), /not a PKCS#8 EncryptedPrivateKeyInfo/],
    // SEQUENCE of 5 bytes with only 2 present.
    [armor("MAUwAA=="), /not a PKCS#8 EncryptedPrivateKeyInfo/],
  ];
  for (const [text, pattern] of cases) {
    assertPkcs8Error(() => decryptEd25519Pkcs8Pem(text, PASSPHRASE), "Malformed", pattern);
  }
});

Deno.test({
  name: "encryptEd25519Pkcs8Pem() output is read by openssl pkey to the same seed",
  permissions: OPENSSL,
  fn: () =>
    withPassFile(async (dir, passFile) => {
      const file = `${dir}/ours.pem`;
      await Deno.writeTextFile(file, encryptEd25519Pkcs8Pem(SEED, PASSPHRASE), { mode: 0o600 });
      assert.ok(bytesEqual(await opensslSeed(file, passFile), SEED));
      // The parameters documented in src/crypto/pkcs8.ts.
      const asn1 = new TextDecoder().decode(await openssl("asn1parse", "-in", file));
      for (const expected of [":PBES2", ":PBKDF2", ":hmacWithSHA256", ":aes-256-cbc", ":0800"]) {
        assert.ok(asn1.includes(expected), `asn1parse shows ${expected}`);
      }
    }),
});

Deno.test({
  name: "decryptEd25519Pkcs8Pem() reads openssl's keys (genpkey, pkcs8 -iter 600000, -scrypt)",
  permissions: OPENSSL,
  fn: () =>
    withPassFile(async (dir, passFile) => {
      const plain = `${dir}/plain.pem`;
      await openssl("genpkey", "-algorithm", "ed25519", "-out", plain);
      const made: [string, string[]][] = [
        ["genpkey", ["genpkey", "-algorithm", "ed25519", "-aes-256-cbc", "-pass"]],
        ["iter", [
          "pkcs8",
          "-topk8",
          "-in",
          plain,
          "-v2",
          "aes-256-cbc",
          "-iter",
          "600000",
          "-passout",
        ]],
        ["scrypt", ["pkcs8", "-topk8", "-in", plain, "-scrypt", "-passout"]],
        ["sha512", [
          "pkcs8",
          "-topk8",
          "-in",
          plain,
          "-v2",
          "aes-128-cbc",
          "-v2prf",
          "hmacWithSHA512",
          "-passout",
        ]],
      ];
      for (const [name, args] of made) {
        const file = `${dir}/${name}.pem`;
        await openssl(...args, `file:${passFile}`, "-out", file);
        const pem = await Deno.readTextFile(file);
        assert.ok(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"), name);
        const ours = decryptEd25519Pkcs8Pem(pem, PASSPHRASE);
        assert.ok(bytesEqual(ours, await opensslSeed(file, passFile)), `${name}: same seed`);
        assertPkcs8Error(
          () => decryptEd25519Pkcs8Pem(pem, new TextEncoder().encode("wrong")),
          "WrongPassphrase",
          /wrong passphrase/,
        );
      }
    }),
});

Deno.test({
  name: "decryptEd25519Pkcs8Pem() names encryptions it cannot read, before trying the passphrase",
  permissions: OPENSSL,
  fn: () =>
    withPassFile(async (dir, passFile) => {
      const plain = `${dir}/plain.pem`;
      await openssl("genpkey", "-algorithm", "ed25519", "-out", plain);
      const made: [string, string[], RegExp][] = [
        ["sha1", ["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1"], /PBKDF2 with hmacWithSHA1/],
        ["des3", ["-v2", "des3"], /the cipher des-ede3-cbc/],
        ["pbes1", ["-v1", "PBE-SHA1-3DES"], /pbeWithSHAAnd3-KeyTripleDES-CBC, not PBES2/],
      ];
      for (const [name, args, pattern] of made) {
        const file = `${dir}/${name}.pem`;
        const passout = `file:${passFile}`;
        await openssl("pkcs8", "-topk8", "-in", plain, ...args, "-passout", passout, "-out", file);
        const pem = await Deno.readTextFile(file);
        const e = assertPkcs8Error(
          () => decryptEd25519Pkcs8Pem(pem, PASSPHRASE),
          "UnsupportedEncryption",
          pattern,
        );
        assert.match(e.message, /re-encrypt the key with: openssl pkcs8 -topk8 -v2 aes-256-cbc$/);
      }
    }),
});

Deno.test({
  name: "decryptEd25519Pkcs8Pem() refuses an encrypted key of another algorithm (X25519)",
  permissions: OPENSSL,
  fn: () =>
    withPassFile(async (dir, passFile) => {
      const file = `${dir}/x25519.pem`;
      await openssl(
        "genpkey",
        "-algorithm",
        "x25519",
        "-aes-256-cbc",
        "-pass",
        `file:${passFile}`,
        "-out",
        file,
      );
      const pem = await Deno.readTextFile(file);
      const e = assertPkcs8Error(
        () => decryptEd25519Pkcs8Pem(pem, PASSPHRASE),
        "NotEd25519",
        /it holds a key of type "x25519", expected Ed25519/,
      );
      assert.equal(e.keyType, "x25519");
    }),
});
