/**
 * `onionbalance-config keys …` under the release binary's permissions (`compile:config`):
 * making an offline key bundle from an openssl-made key, encrypting and decrypting keys and
 * bundles interchangeably with the real `openssl pkey`, and the errors an operator meets.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadOfflineBundle } from "../../src/custody/mod.ts";
import { loadIdentityKey, onionAddressLabel } from "../../src/keys/mod.ts";
import { runScoped } from "./_compile_flags.ts";

const PASSPHRASE = "tr0ub4dor & 3, not in argv";

async function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** A temporary folder (0700) with an openssl-made Ed25519 key and two passphrase files. */
async function workspace(): Promise<{ dir: string; key: string; pass: string; pass2: string }> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-keys-cli-" });
  const key = `${dir}/frontend.pem`;
  const made = await openssl(["genpkey", "-algorithm", "ed25519", "-out", key]);
  assert.equal(made.code, 0, made.stderr);
  await Deno.chmod(key, 0o600);
  await Deno.writeTextFile(`${dir}/pass`, `${PASSPHRASE}\n`, { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/pass2`, "another one\n", { mode: 0o600 });
  return { dir, key, pass: `${dir}/pass`, pass2: `${dir}/pass2` };
}

async function publicPem(key: string, passFile?: string): Promise<string> {
  const args = ["pkey", "-in", key, "-pubout"];
  if (passFile !== undefined) args.push("-passin", `file:${passFile}`);
  const out = await openssl(args);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

Deno.test("keys offline makes a 0600 bundle from an openssl key and prints its span", async () => {
  const w = await workspace();
  try {
    const address = onionAddressLabel((await loadIdentityKey(w.key)).keypair.public);
    const out = await runScoped("compile:config", [
      "keys",
      "offline",
      "--key",
      w.key,
      "--output",
      `${w.dir}/frontend.keys`,
      "--periods",
      "3",
      "--period-length",
      "4",
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      new RegExp(
        `offline keys of ${address}\\.onion for .* \\(periods \\d+-\\d+, 3 of 4 minutes\\)`,
      ),
    );
    assert.equal((await Deno.stat(`${w.dir}/frontend.keys`)).mode! & 0o777, 0o600);
    const bundle = await loadOfflineBundle(`${w.dir}/frontend.keys`);
    assert.equal(bundle.address, address);
    assert.equal(bundle.certs.length, 3);
    assert.equal(bundle.schedule.lengthMinutes, 4);
    // Never over an existing file without --force.
    const again = await runScoped("compile:config", [
      "keys",
      "offline",
      "--key",
      w.key,
      "--output",
      `${w.dir}/frontend.keys`,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /it exists \(use --force to replace it\)/);
  } finally {
    await Deno.remove(w.dir, { recursive: true });
  }
});

Deno.test("keys encrypt/decrypt: openssl reads what we encrypt, and decrypting gives openssl's file back", async () => {
  const w = await workspace();
  try {
    const original = await Deno.readTextFile(w.key);
    const pub = await publicPem(w.key);
    const enc = await runScoped("compile:config", [
      "keys",
      "encrypt",
      w.key,
      "--passphrase-file",
      w.pass,
    ]);
    assert.equal(enc.code, 0, enc.stderr);
    const encrypted = await Deno.readTextFile(w.key);
    assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    assert.equal((await Deno.stat(w.key)).mode! & 0o777, 0o600);
    assert.equal(await publicPem(w.key, w.pass), pub, "openssl decrypts it to the same key");
    const wrong = await runScoped("compile:config", [
      "keys",
      "decrypt",
      w.key,
      "--passphrase-file",
      w.pass2,
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`${w.key.replaceAll(".", "\\.")}.*wrong passphrase`));
    assert.ok(!wrong.stderr.includes("another one") && !wrong.stderr.includes(PASSPHRASE));
    const dec = await runScoped("compile:config", [
      "keys",
      "decrypt",
      w.key,
      "--passphrase-file",
      w.pass,
    ]);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(await Deno.readTextFile(w.key), original, "byte for byte what openssl wrote");
    // And the other way: openssl encrypts (a strong KDF), the daemon's loader decrypts.
    const strong = `${w.dir}/strong.pem`;
    const made = await openssl([
      "pkcs8",
      "-topk8",
      "-v2",
      "aes-256-cbc",
      "-iter",
      "600000",
      "-in",
      w.key,
      "-out",
      strong,
      "-passout",
      `file:${w.pass}`,
    ]);
    assert.equal(made.code, 0, made.stderr);
    await Deno.chmod(strong, 0o600);
    const loaded = await loadIdentityKey(strong, {
      passphrase: new TextEncoder().encode(PASSPHRASE),
    });
    assert.equal(loaded.encrypted, true);
    assert.equal(
      onionAddressLabel(loaded.keypair.public),
      onionAddressLabel((await loadIdentityKey(w.key)).keypair.public),
    );
  } finally {
    await Deno.remove(w.dir, { recursive: true });
  }
});

Deno.test("keys offline reads an encrypted key and writes an encrypted bundle; keys decrypt opens it", async () => {
  const w = await workspace();
  try {
    const enc = await runScoped("compile:config", [
      "keys",
      "encrypt",
      w.key,
      "--passphrase-file",
      w.pass,
    ]);
    assert.equal(enc.code, 0, enc.stderr);
    const bundlePath = `${w.dir}/frontend.keys`;
    const noPass = await runScoped("compile:config", [
      "keys",
      "offline",
      "--key",
      w.key,
      "--output",
      bundlePath,
      "--days",
      "2",
    ]);
    assert.equal(noPass.code, 2, "no terminal, no passphrase file: a usage error");
    assert.match(noPass.stderr, /give --passphrase-file FILE, or run on a terminal/);
    const out = await runScoped("compile:config", [
      "keys",
      "offline",
      "--key",
      w.key,
      "--key-passphrase-file",
      w.pass,
      "--output",
      bundlePath,
      "--days",
      "2",
      "--passphrase-file",
      w.pass2,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /\(encrypted\)/);
    const text = await Deno.readTextFile(bundlePath);
    assert.equal(text.match(/-----BEGIN ENCRYPTED PRIVATE KEY-----/g)?.length, 2);
    await assert.rejects(() => loadOfflineBundle(bundlePath), /it is encrypted/);
    const bundle = await loadOfflineBundle(bundlePath, {
      passphrase: new TextEncoder().encode("another one"),
    });
    assert.ok(bundle.certs.length === 3 || bundle.certs.length === 4, "2 days: 3 or 4 periods");
    const dec = await runScoped("compile:config", [
      "keys",
      "decrypt",
      bundlePath,
      "--passphrase-file",
      w.pass2,
    ]);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal((await loadOfflineBundle(bundlePath)).address, bundle.address);
  } finally {
    await Deno.remove(w.dir, { recursive: true });
  }
});

Deno.test("keys encrypt refuses tor's expanded key format (it holds no seed)", async () => {
  const w = await workspace();
  try {
    const tor = `${w.dir}/hs_ed25519_secret_key`;
    const header = new TextEncoder().encode("== ed25519v1-secret: type0 ==\0\0\0");
    await Deno.writeFile(tor, new Uint8Array([...header, ...new Uint8Array(64).fill(7)]), {
      mode: 0o600,
    });
    const out = await runScoped("compile:config", [
      "keys",
      "encrypt",
      tor,
      "--passphrase-file",
      w.pass,
    ]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /tor's expanded key format, which holds no seed/);
  } finally {
    await Deno.remove(w.dir, { recursive: true });
  }
});
