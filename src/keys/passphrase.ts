/**
 * Where the passphrase of an encrypted key file comes from, for the daemon and
 * the CLI: a passphrase file (`--passphrase-file`, `passphrase-file` in
 * config.yaml) or a systemd credential (`LoadCredential=`,
 * `LoadCredentialEncrypted=`, `SetCredentialEncrypted=`).
 *
 * Spec: systemd.exec(5) "Credentials" and systemd `docs/CREDENTIALS.md`
 * (`$CREDENTIALS_DIRECTORY`, one file per credential); systemd
 * `src/core/exec-credential.c: write_credential` (the files' mode).
 *
 * Role: reads secret files only (a passphrase file through `readSecretFile`,
 * which refuses a file group or others may access). There is no terminal
 * prompt here: the CLI has its own prompter. Passphrases are bytes; the caller
 * zeroes them when done, and buffers this file outgrows are zeroed. No message
 * contains a passphrase.
 *
 * @module
 */

import { readSecretFile, SecretFileError } from "./secret_file.ts";

/** The systemd credential name looked for by default (`LoadCredentialEncrypted=<name>:…`). */
export const DEFAULT_CREDENTIAL_NAME = "onionbalance-key-passphrase";

/** Why no passphrase could be had from a source. */
export type PassphraseErrorKind =
  /** The file cannot be read (missing, no permission); the cause says why. */
  | "Unreadable"
  /** The file is accessible by group or others; it was not read. */
  | "Insecure"
  /** The file is empty, or holds only a line end. */
  | "Empty"
  /** The key is encrypted and no source gave a passphrase. */
  | "NoCredential";

/** Options of {@link PassphraseError}. */
export interface PassphraseErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The passphrase file or credential file concerned, if any. */
  file?: string;
}

/** A passphrase source that cannot be used. The message names the file, never the passphrase. */
export class PassphraseError extends Error {
  override name = "PassphraseError";
  /** What went wrong. */
  readonly kind: PassphraseErrorKind;
  /** The passphrase file concerned, if any. */
  readonly file: string | undefined;

  /**
   * @param kind What went wrong.
   * @param message A std-style message naming the file.
   * @param options The cause and the file, if any.
   */
  constructor(kind: PassphraseErrorKind, message: string, options: PassphraseErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.kind = kind;
    this.file = options.file;
  }
}

/**
 * Reads a passphrase file: its bytes, less exactly one trailing `"\n"` or
 * `"\r\n"` (what `echo` and editors add). Other whitespace is part of the
 * passphrase.
 *
 * @param path The file; like a key file, it must not be accessible by group or others.
 * @returns The passphrase (the caller zeroes it when done).
 * @throws {PassphraseError} `Insecure` (the file was not read, the message
 *   gives the `chmod` that fixes it), `Unreadable`, or `Empty`.
 */
export async function readPassphraseFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readSecretFile(path);
  } catch (cause) {
    if (!(cause instanceof SecretFileError)) throw cause;
    const kind = cause.kind === "Insecure" ? "Insecure" : "Unreadable";
    const detail = cause.kind === "Insecure" ? `it ${cause.message}` : cause.message;
    throw new PassphraseError(kind, `Cannot read passphrase file "${path}": ${detail}`, {
      cause: cause.kind === "Insecure" ? undefined : cause.cause,
      file: path,
    });
  }
  return stripLineEnd(bytes, `passphrase file "${path}"`, path);
}

/**
 * The passphrase in the systemd credential `name`, when the service runs with
 * credentials (`$CREDENTIALS_DIRECTORY` set) and that credential exists.
 *
 * systemd writes each credential itself (`exec-credential.c: write_credential`):
 * created 0600, then `fchmod(fd, 0400)`; when the service runs as another user
 * than the service manager, it adds a POSIX ACL entry `user:<uid>:r` (or,
 * where the file system has no ACLs, `fchown`s the file to that user). `stat`
 * shows an ACL's mask in the group bits, so such a credential reads as mode
 * 0440 though no group may read it (measured here: a 0400 file given
 * `user:65534:r` stats as 0440). So a credential may have the group read bit;
 * any other group or others bit is refused, as for a passphrase file. The
 * folder is systemd's own, read-only and private to the unit.
 *
 * @param name The credential name, e.g. {@link DEFAULT_CREDENTIAL_NAME}.
 * @param env The environment (`Deno.env` in production).
 * @returns The passphrase, or undefined when `CREDENTIALS_DIRECTORY` is unset
 *   or has no such file.
 * @throws {RangeError} When `name` is not a file name.
 * @throws {PassphraseError} `Insecure`, `Unreadable` or `Empty`.
 */
export async function credentialPassphrase(
  name: string,
  env: { get(name: string): string | undefined },
): Promise<Uint8Array | undefined> {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new RangeError(`Cannot use systemd credential name "${name}": not a file name`);
  }
  const dir = env.get("CREDENTIALS_DIRECTORY");
  if (dir === undefined || dir === "") return undefined;
  const path = `${dir.replace(/\/+$/, "")}/${name}`;
  const bytes = await readCredentialFile(path);
  if (bytes === undefined) return undefined;
  return stripLineEnd(bytes, `systemd credential "${path}"`, path);
}

/** A credential file's bytes, undefined when absent; refuses modes other than 0400/0440. */
async function readCredentialFile(path: string): Promise<Uint8Array | undefined> {
  const what = `systemd credential "${path}"`;
  try {
    return await readSecretFile(path, { groupMayRead: true });
  } catch (cause) {
    if (!(cause instanceof SecretFileError)) throw cause;
    if (cause.kind === "Unreadable" && cause.cause instanceof Deno.errors.NotFound) {
      return undefined;
    }
    throw new PassphraseError(
      cause.kind,
      `Cannot read ${what}: ${cause.kind === "Insecure" ? "it " : ""}${cause.message}`,
      {
        cause: cause.kind === "Insecure" ? undefined : cause.cause,
        file: path,
      },
    );
  }
}

/** `bytes` less one trailing `"\n"` or `"\r\n"` (a copy; `bytes` is zeroed). */
function stripLineEnd(bytes: Uint8Array, what: string, file: string): Uint8Array {
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end -= bytes[end - 2] === 0x0d ? 2 : 1;
  const passphrase = bytes.slice(0, end);
  bytes.fill(0);
  if (passphrase.length === 0) {
    throw new PassphraseError(
      "Empty",
      `Cannot read ${what}: it is empty (or holds only a line end)`,
      { file },
    );
  }
  return passphrase;
}
