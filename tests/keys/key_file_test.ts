import assert from "node:assert/strict";
import { toHex } from "../../src/bytes/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  decodeIdentityKey,
  encodeHostnameFile,
  encodeOnionAddress,
  encodeTorPublicKeyFile,
  HsIdKeypair,
  isEncryptedPem,
  KeyError,
  loadIdentityKey,
  TOR_KEY_FILE_NAMES,
  writeIdentityKeyPem,
  writeTorKeyFiles,
} from "../../src/keys/mod.ts";
import { readBinaryVector, vectorTest } from "../_vectors.ts";

const TMP: Deno.PermissionOptionsObject = { read: ["/tmp"], write: ["/tmp"] };

vectorTest("decodeIdentityKey() recognises each format from the content", async () => {
  const pem = decodeIdentityKey(await readBinaryVector("project/ob_pkcs8_seed01.pem"), {
    file: "a.pem",
  });
  assert.equal(pem.format, "pem");
  assert.ok(pem.keypair.hasSeed);
  const tor = decodeIdentityKey(await readBinaryVector("onionbalance/hs_ed25519_secret_key"), {
    file: "hs_ed25519_secret_key",
  });
  assert.equal(tor.format, "tor");
  assert.equal(tor.keypair.hasSeed, false);
});

Deno.test("decodeIdentityKey() explains files that are not identity keys", () => {
  const key = HsIdKeypair.fromSeed(new Uint8Array(32).fill(4));
  const cases: [Uint8Array, string, RegExp][] = [
    [
      encodeTorPublicKeyFile(key.public),
      "UnsupportedKeyFile",
      /tor's public key file; use the secret key file "hs_ed25519_secret_key"/,
    ],
    [
      new TextEncoder().encode(encodeHostnameFile(key.public)),
      "UnsupportedKeyFile",
      /onion address/,
    ],
    [
      new TextEncoder().encode("ED25519-V3:" + "A".repeat(86)),
      "UnknownKeyFormat",
      /not a PEM \(PKCS#8\) Ed25519 key/,
    ],
    [new Uint8Array(96), "UnknownKeyFormat", /^Cannot read key file "k": /],
    [new Uint8Array(0), "UnknownKeyFormat", /^Cannot read key file "k": /],
  ];
  for (const [bytes, kind, pattern] of cases) {
    assert.throws(() => decodeIdentityKey(bytes, { file: "k" }), (e: unknown) => {
      assert.ok(e instanceof KeyError);
      assert.equal(e.kind, kind);
      assert.match(e.message, pattern);
      assert.equal(e.file, "k");
      return true;
    });
  }
});

Deno.test({
  name: "writeIdentityKeyPem() and writeTorKeyFiles() write 0600 files that load back",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      const keypair = HsIdKeypair.generate(seededRng("key-file-test"));
      await writeIdentityKeyPem(`${dir}/frontend.key`, keypair);
      await writeTorKeyFiles(dir, keypair);
      for (const name of ["frontend.key", ...Object.values(TOR_KEY_FILE_NAMES)]) {
        assert.equal((await Deno.stat(`${dir}/${name}`)).mode! & 0o777, 0o600, name);
      }
      const fromPem = await loadIdentityKey(`${dir}/frontend.key`);
      const fromTor = await loadIdentityKey(`${dir}/${TOR_KEY_FILE_NAMES.secret}`);
      // Each file keeps its own format, in the same process.
      assert.equal(fromPem.format, "pem");
      assert.equal(fromTor.format, "tor");
      assert.ok(fromPem.keypair.public.equals(keypair.public));
      assert.ok(fromTor.keypair.public.equals(keypair.public));
      assert.equal(toHex(fromTor.keypair.expandedSecret()), toHex(keypair.expandedSecret()));
      assert.equal(
        await Deno.readTextFile(`${dir}/${TOR_KEY_FILE_NAMES.hostname}`),
        `${encodeOnionAddress(keypair.public)}\n`,
      );
      // No silent overwrite; an explicit one keeps mode 0600.
      await assert.rejects(
        writeIdentityKeyPem(`${dir}/frontend.key`, keypair),
        Deno.errors.AlreadyExists,
      );
      await assert.rejects(writeTorKeyFiles(dir, keypair), Deno.errors.AlreadyExists);
      await Deno.chmod(`${dir}/frontend.key`, 0o644);
      await writeIdentityKeyPem(`${dir}/frontend.key`, keypair, { overwrite: true });
      assert.equal((await Deno.stat(`${dir}/frontend.key`)).mode! & 0o777, 0o600);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadIdentityKey() names a missing or malformed file",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      await assert.rejects(loadIdentityKey(`${dir}/missing.key`), (e: unknown) => {
        assert.ok(e instanceof KeyError);
        assert.equal(e.kind, "Unreadable");
        assert.match(e.message, /^Cannot read key file ".*\/missing\.key": /);
        assert.ok(e.cause instanceof Deno.errors.NotFound);
        return true;
      });
      const truncated = `${dir}/hs_ed25519_secret_key`;
      const keypair = HsIdKeypair.generate(seededRng("truncated"));
      await writeTorKeyFiles(dir, keypair);
      const bytes = await Deno.readFile(truncated);
      await Deno.writeFile(truncated, bytes.subarray(0, 64));
      await assert.rejects(loadIdentityKey(truncated), (e: unknown) => {
        assert.ok(e instanceof KeyError);
        assert.equal(e.kind, "BadLength");
        assert.equal(e.file, truncated);
        assert.match(e.message, /truncated: 64 bytes, expected 96/);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Asserts that loading `path` is refused for its mode, with the message naming the file and the fix. */
async function assertRefused(path: string, mode: string, chmodArgument = path): Promise<void> {
  await assert.rejects(loadIdentityKey(path), (e: unknown) => {
    assert.ok(e instanceof KeyError, String(e));
    assert.equal(e.kind, "InsecurePermissions");
    assert.equal(e.file, path);
    assert.equal(
      e.message,
      `Key file ${path} is readable by group or others (mode ${mode}); run: chmod 600 ${chmodArgument}`,
    );
    return true;
  });
}

Deno.test({
  name: "loadIdentityKey() refuses a key file readable by group or others (0644, 0640)",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      const path = `${dir}/frontend.key`;
      await writeIdentityKeyPem(path, HsIdKeypair.generate(seededRng("mode-0644")));
      await Deno.chmod(path, 0o644);
      await assertRefused(path, "0644");
      await Deno.chmod(path, 0o640);
      await assertRefused(path, "0640");
      // tor's format is refused the same way.
      await writeTorKeyFiles(dir, HsIdKeypair.generate(seededRng("mode-tor")));
      await Deno.chmod(`${dir}/${TOR_KEY_FILE_NAMES.secret}`, 0o604);
      await assertRefused(`${dir}/${TOR_KEY_FILE_NAMES.secret}`, "0604");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadIdentityKey() accepts a key file only its owner can read (0600, 0400)",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      const keypair = HsIdKeypair.generate(seededRng("mode-0600"));
      const path = `${dir}/frontend.key`;
      await writeIdentityKeyPem(path, keypair);
      await Deno.chmod(path, 0o600);
      assert.ok((await loadIdentityKey(path)).keypair.public.equals(keypair.public));
      await Deno.chmod(path, 0o400);
      assert.ok((await loadIdentityKey(path)).keypair.public.equals(keypair.public));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadIdentityKey() names the refused file in full and does not read it",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      const deep = `${dir}/etc/onion balance/${"x".repeat(56)}`;
      await Deno.mkdir(deep, { recursive: true });
      // Not a key: had it been read and decoded, the error would be UnknownKeyFormat.
      const path = `${deep}/frontend.key`;
      await Deno.writeTextFile(path, "not a key\n", { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      await assertRefused(path, "0644", `'${path}'`);
      await assert.rejects(loadIdentityKey(path), (e: unknown) => {
        assert.ok(e instanceof KeyError && e.message.includes(`Key file ${path} is `));
        assert.ok(e.message.endsWith(`chmod 600 '${path}'`));
        return true;
      });
      // Group- or other-writable only is refused too.
      await Deno.chmod(path, 0o620);
      await assert.rejects(loadIdentityKey(path), (e: unknown) => {
        assert.ok(e instanceof KeyError && e.kind === "InsecurePermissions");
        assert.match(e.message, /is accessible by group or others \(mode 0620\)/);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "writeIdentityKeyPem() with a passphrase writes an encrypted 0600 file that loads back",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      const keypair = HsIdKeypair.generate(seededRng("encrypted-key-file"));
      const passphrase = new TextEncoder().encode("key file test passphrase");
      const path = `${dir}/frontend.key`;
      await writeIdentityKeyPem(path, keypair, { passphrase });
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.ok(isEncryptedPem(await Deno.readFile(path)));
      // The passphrase is not consumed.
      assert.equal(new TextDecoder().decode(passphrase), "key file test passphrase");
      const loaded = await loadIdentityKey(path, { passphrase });
      assert.equal(loaded.format, "pem");
      assert.equal(loaded.encrypted, true);
      assert.ok(loaded.keypair.public.equals(keypair.public));
      assert.deepEqual(loaded.keypair.seed(), keypair.seed());
      // An explicit overwrite with a passphrase keeps 0600.
      await Deno.chmod(path, 0o644);
      await writeIdentityKeyPem(path, keypair, { overwrite: true, passphrase });
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      // Unencrypted PEM and tor's format say they are not encrypted.
      await writeIdentityKeyPem(`${dir}/plain.key`, keypair);
      assert.equal((await loadIdentityKey(`${dir}/plain.key`, { passphrase })).encrypted, false);
      await writeTorKeyFiles(dir, keypair);
      const tor = await loadIdentityKey(`${dir}/${TOR_KEY_FILE_NAMES.secret}`, { passphrase });
      assert.equal(tor.encrypted, false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadIdentityKey() asks for a passphrase or refuses a wrong one, naming the file",
  permissions: TMP,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-keys-" });
    try {
      const passphrase = new TextEncoder().encode("key file test passphrase");
      const path = `${dir}/frontend.key`;
      await writeIdentityKeyPem(path, HsIdKeypair.generate(seededRng("wrong")), { passphrase });
      await assert.rejects(loadIdentityKey(path), (e: unknown) => {
        assert.ok(e instanceof KeyError);
        assert.equal(e.kind, "PassphraseRequired");
        assert.equal(e.file, path);
        assert.ok(e.message.startsWith(`Cannot read key file "${path}": it is encrypted; `));
        return true;
      });
      const wrong = new TextEncoder().encode("a wrong secret");
      await assert.rejects(loadIdentityKey(path, { passphrase: wrong }), (e: unknown) => {
        assert.ok(e instanceof KeyError);
        assert.equal(e.kind, "WrongPassphrase");
        assert.equal(e.file, path);
        assert.ok(e.message.startsWith(`Cannot read key file "${path}": wrong passphrase, or `));
        assert.ok(!e.message.includes("a wrong secret") && !e.message.includes("key file test"));
        return true;
      });
      // decodeIdentityKey() takes the passphrase too.
      const bytes = await Deno.readFile(path);
      const decoded = decodeIdentityKey(bytes, { file: "k", passphrase });
      assert.equal(decoded.encrypted, true);
      assert.throws(() => decodeIdentityKey(bytes, { file: "k" }), (e: unknown) => {
        assert.ok(e instanceof KeyError && e.kind === "PassphraseRequired" && e.file === "k");
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
