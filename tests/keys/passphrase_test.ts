import assert from "node:assert/strict";
import {
  credentialPassphrase,
  DEFAULT_CREDENTIAL_NAME,
  PassphraseError,
  type PassphraseErrorKind,
  readPassphraseFile,
} from "../../src/keys/mod.ts";

const TMP: Deno.PermissionOptionsObject = { read: ["/tmp"], write: ["/tmp"] };
const encoder = new TextEncoder();

/** A temp folder, removed after `fn`. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ob-passphrase-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes `content` to `path` with exactly `mode` (whatever the umask). */
async function writeWithMode(path: string, content: string, mode: number): Promise<void> {
  await Deno.writeFile(path, encoder.encode(content), { mode: 0o600 });
  await Deno.chmod(path, mode);
}

/** An environment holding only `vars`. */
function envOf(vars: Record<string, string>): { get(name: string): string | undefined } {
  return { get: (name) => vars[name] };
}

async function assertPassphraseError(
  promise: Promise<unknown>,
  kind: PassphraseErrorKind,
  pattern: RegExp,
  file: string,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof PassphraseError, `expected PassphraseError, got ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("s3cret"), "the message holds no passphrase");
    return true;
  });
}

Deno.test({
  name: "readPassphraseFile() strips exactly one trailing line end",
  permissions: TMP,
  fn: () =>
    withDir(async (dir) => {
      const cases: [string, string][] = [
        ["s3cret", "s3cret"],
        ["s3cret\n", "s3cret"],
        ["s3cret\r\n", "s3cret"],
        ["s3cret\n\n", "s3cret\n"],
        ["s3cret\r", "s3cret\r"],
        [" s3cret \t\n", " s3cret \t"],
        ["\u00e9t\u00e9 s3cret\n", "\u00e9t\u00e9 s3cret"],
      ];
      for (const [content, expected] of cases) {
        const path = `${dir}/pass`;
        await writeWithMode(path, content, 0o600);
        assert.deepEqual(await readPassphraseFile(path), encoder.encode(expected));
        await Deno.remove(path);
      }
    }),
});

Deno.test({
  name: "readPassphraseFile() refuses an empty file, naming it",
  permissions: TMP,
  fn: () =>
    withDir(async (dir) => {
      const path = `${dir}/pass`;
      for (const content of ["", "\n", "\r\n"]) {
        await writeWithMode(path, content, 0o600);
        await assertPassphraseError(
          readPassphraseFile(path),
          "Empty",
          new RegExp(`^Cannot read passphrase file "${path}": it is empty`),
          path,
        );
      }
    }),
});

Deno.test({
  name: "readPassphraseFile() refuses a file group or others may read (0644, 0640), unread",
  permissions: TMP,
  fn: () =>
    withDir(async (dir) => {
      const path = `${dir}/pass`;
      for (const mode of [0o644, 0o640, 0o604]) {
        await writeWithMode(path, "s3cret\n", mode);
        const shown = mode.toString(8).padStart(4, "0");
        await assertPassphraseError(
          readPassphraseFile(path),
          "Insecure",
          new RegExp(
            `^Cannot read passphrase file "${path}": it is readable by group or others ` +
              `\\(mode ${shown}\\); run: chmod 600 ${path}$`,
          ),
          path,
        );
      }
      await assertPassphraseError(
        readPassphraseFile(`${dir}/missing`),
        "Unreadable",
        new RegExp(`^Cannot read passphrase file "${dir}/missing": `),
        `${dir}/missing`,
      );
    }),
});

Deno.test({
  name: "credentialPassphrase() reads $CREDENTIALS_DIRECTORY/<name> when both exist",
  permissions: TMP,
  fn: () =>
    withDir(async (dir) => {
      assert.equal(DEFAULT_CREDENTIAL_NAME, "onionbalance-key-passphrase");
      const name = DEFAULT_CREDENTIAL_NAME;
      // No variable, an empty one, or no such credential: no passphrase from systemd.
      assert.equal(await credentialPassphrase(name, envOf({})), undefined);
      assert.equal(
        await credentialPassphrase(name, envOf({ CREDENTIALS_DIRECTORY: "" })),
        undefined,
      );
      const env = envOf({ CREDENTIALS_DIRECTORY: dir });
      assert.equal(await credentialPassphrase(name, env), undefined);
      // systemd's modes: 0400 (service runs as the manager's user, or chown where no ACLs),
      // and 0440 (root-owned 0400 plus an ACL entry for the service user: stat shows the
      // ACL mask in the group bits).
      const path = `${dir}/${name}`;
      for (const mode of [0o400, 0o440, 0o600]) {
        await writeWithMode(path, "s3cret\n", mode);
        assert.deepEqual(await credentialPassphrase(name, env), encoder.encode("s3cret"));
        await Deno.chmod(path, 0o600);
      }
      // A trailing slash on the folder is fine.
      const slash = envOf({ CREDENTIALS_DIRECTORY: `${dir}/` });
      assert.deepEqual(await credentialPassphrase(name, slash), encoder.encode("s3cret"));
    }),
});

Deno.test({
  name: "credentialPassphrase() refuses a credential others may read, or an empty one",
  permissions: TMP,
  fn: () =>
    withDir(async (dir) => {
      const env = envOf({ CREDENTIALS_DIRECTORY: dir });
      const path = `${dir}/pw`;
      for (const mode of [0o444, 0o404, 0o460, 0o640 | 0o010]) {
        await writeWithMode(path, "s3cret\n", mode);
        await assertPassphraseError(
          credentialPassphrase("pw", env),
          "Insecure",
          new RegExp(`^Cannot read systemd credential "${path}": it is accessible by others `),
          path,
        );
      }
      await writeWithMode(path, "\n", 0o400);
      await assertPassphraseError(
        credentialPassphrase("pw", env),
        "Empty",
        /^Cannot read systemd credential ".*\/pw": it is empty/,
        path,
      );
      await Deno.chmod(path, 0o600);
      await Deno.mkdir(`${dir}/sub`);
      await assertPassphraseError(
        credentialPassphrase("sub", env),
        "Unreadable",
        /^Cannot read systemd credential ".*\/sub": /,
        `${dir}/sub`,
      );
      for (const bad of ["", ".", "..", "a/b", "../pw"]) {
        await assert.rejects(credentialPassphrase(bad, env), RangeError);
      }
    }),
});
