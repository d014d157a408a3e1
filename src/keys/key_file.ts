/**
 * Loading and saving an onion service's identity key: format detection from
 * the content (per key, never a global setting), and thin file I/O around the
 * pure codecs of `pem.ts` and `tor_key_file.ts`.
 *
 * Spec: OnionBalance `hs_v3/service.py: _load_service_keys` (PEM first, then
 * tor's `hs_ed25519_secret_key`); rend-spec-v3 Appendix F [HIDSERVDIR-FORMAT];
 * tor `crypto_format.c: crypto_read_tagged_contents_from_file`; OnionBalance
 * `hs_v3/tor_ed25519.py`.
 *
 * Role: the only file in `src/keys/` that touches the file system. Unlike
 * OnionBalance (which tries PEM, logs a warning and tries tor's format), the
 * format is recognised from the first bytes and only that decoder runs, so its
 * error is the one the user sees. Errors name the file and never contain key
 * material. Secret files are written with mode 0600 and, unless asked,
 * never overwrite an existing file; a key file that group or others may
 * access is refused, unread. A PEM key may be encrypted (`ENCRYPTED PRIVATE
 * KEY`); its passphrase comes from the caller as bytes (see `passphrase.ts`).
 *
 * @module
 */

import { KeyError } from "./errors.ts";
import type { HsIdKeypair } from "./identity.ts";
import { decodePkcs8Pem, encodeEncryptedPkcs8Pem, encodePkcs8Pem, isEncryptedPem } from "./pem.ts";
import { readSecretFile, SecretFileError } from "./secret_file.ts";
import {
  decodeTorSecretKeyFile,
  encodeHostnameFile,
  encodeTorPublicKeyFile,
  encodeTorSecretKeyFile,
  hasTorKeyHeader,
} from "./tor_key_file.ts";

/** How an identity key was stored. */
export type IdentityKeyFormat = "pem" | "tor";

/** An identity key and the format it was read from. */
export interface LoadedIdentityKey {
  /** The key. It has a seed exactly when `format` is `"pem"`. */
  readonly keypair: HsIdKeypair;
  /** The format recognised from the content. */
  readonly format: IdentityKeyFormat;
  /**
   * Whether the file was an encrypted PEM key (`ENCRYPTED PRIVATE KEY`). The
   * loaders always set it; it is optional only so that values built by hand
   * (tests, `src/deploy/` inputs) need not say, and absent means false.
   */
  readonly encrypted?: boolean;
}

/** Options of {@link decodeIdentityKey}. */
export interface DecodeIdentityKeyOptions {
  /** The path, for error messages. */
  file?: string;
  /** The passphrase of an encrypted PEM key (not modified); unused for other keys. */
  passphrase?: Uint8Array;
}

/** Options of {@link loadIdentityKey}. */
export interface LoadIdentityKeyOptions {
  /** The passphrase of an encrypted PEM key (not modified); unused for other keys. */
  passphrase?: Uint8Array;
}

/** Options of the writers. */
export interface WriteKeyOptions {
  /** Replace an existing file (default false: refuse, so no key is lost by accident). */
  overwrite?: boolean;
  /**
   * For {@link writeIdentityKeyPem}: encrypt the key with this passphrase
   * (`ENCRYPTED PRIVATE KEY`, PBES2 AES-256-CBC); not modified. Ignored by
   * {@link writeTorKeyFiles}: tor's key files cannot be encrypted.
   */
  passphrase?: Uint8Array;
}

/** The file names tor uses in a `HiddenServiceDir`. */
export const TOR_KEY_FILE_NAMES = {
  secret: "hs_ed25519_secret_key",
  public: "hs_ed25519_public_key",
  hostname: "hostname",
} as const;

const encoder = new TextEncoder();

/**
 * Recognises and decodes an identity key from a file's content: a PEM block
 * (`-----BEGIN`) or tor's `== ed25519v1-secret: ` header.
 *
 * @param bytes The file content.
 * @param options.file The path, for error messages.
 * @param options.passphrase The passphrase of an encrypted PEM key.
 * @throws {KeyError} `UnknownKeyFormat` when neither; `UnsupportedKeyFile`
 *   for tor's public-key file or an onion address; `PassphraseRequired` or
 *   `WrongPassphrase` for an encrypted PEM key; otherwise the decoder's error.
 */
export function decodeIdentityKey(
  bytes: Uint8Array,
  options: DecodeIdentityKeyOptions = {},
): LoadedIdentityKey {
  const subject = options.file === undefined ? "identity key" : `key file "${options.file}"`;
  const start = new TextDecoder("latin1").decode(bytes.subarray(0, 64)).trimStart();
  if (start.startsWith("-----BEGIN ")) {
    const keypair = decodePkcs8Pem(bytes, options);
    return { keypair, format: "pem", encrypted: isEncryptedPem(bytes) };
  }
  if (hasTorKeyHeader(bytes, "secret")) {
    return {
      keypair: decodeTorSecretKeyFile(bytes, { file: options.file }),
      format: "tor",
      encrypted: false,
    };
  }
  if (hasTorKeyHeader(bytes, "public")) {
    throw new KeyError(
      "UnsupportedKeyFile",
      `Cannot read ${subject}: it is tor's public key file; use the secret key file "${TOR_KEY_FILE_NAMES.secret}"`,
      { file: options.file },
    );
  }
  if (/^[a-z2-7]{16,56}\.onion\s*$/i.test(start)) {
    throw new KeyError(
      "UnsupportedKeyFile",
      `Cannot read ${subject}: it holds an onion address (a "hostname" file), not a key`,
      { file: options.file },
    );
  }
  throw new KeyError(
    "UnknownKeyFormat",
    `Cannot read ${subject}: not a PEM (PKCS#8) Ed25519 key and not tor's "${TOR_KEY_FILE_NAMES.secret}"`,
    { file: options.file },
  );
}

/**
 * Reads an identity key file in either format.
 *
 * Like ssh and tor, refuses a key file that group or others may access (any of
 * the bits 0o077), before reading a byte of it. The check is made on the open
 * file, so it is the file actually read (after symlinks) that counts. Where the
 * platform has no Unix modes (`mode` is null, Windows) there is nothing to check.
 *
 * @param path The key file.
 * @param options.passphrase The passphrase, if the file may be an encrypted PEM key.
 * @throws {KeyError} `InsecurePermissions` when group or others may access the
 *   file (the message names the file and the `chmod` that fixes it),
 *   `Unreadable` when the file cannot be read (the cause says why), or any
 *   error of {@link decodeIdentityKey} (`PassphraseRequired` for an encrypted
 *   key without a passphrase, `WrongPassphrase`).
 */
export async function loadIdentityKey(
  path: string,
  options: LoadIdentityKeyOptions = {},
): Promise<LoadedIdentityKey> {
  const bytes = await readKeyFile(path);
  try {
    return decodeIdentityKey(bytes, { file: path, passphrase: options.passphrase });
  } finally {
    bytes.fill(0);
  }
}

/** Reads a key file through {@link readSecretFile}, as a {@link KeyError}. */
async function readKeyFile(path: string): Promise<Uint8Array> {
  try {
    return await readSecretFile(path);
  } catch (cause) {
    if (!(cause instanceof SecretFileError)) throw cause;
    if (cause.kind === "Insecure") {
      throw new KeyError("InsecurePermissions", `Key file ${path} ${cause.message}`, {
        file: path,
      });
    }
    throw new KeyError("Unreadable", `Cannot read key file "${path}": ${cause.message}`, {
      cause: cause.cause,
      file: path,
    });
  }
}

/**
 * Writes a seed-based key as PKCS#8 PEM (what `onionbalance-config` writes),
 * mode 0600; with `options.passphrase`, as an `ENCRYPTED PRIVATE KEY` (PBES2,
 * PBKDF2-HMAC-SHA256, AES-256-CBC) that `openssl pkey -passin` also reads.
 *
 * @throws {TypeError} When the key has no seed (see `encodePkcs8Pem`).
 * @throws {RangeError} When `options.passphrase` is empty.
 * @throws {Deno.errors.AlreadyExists} When the file exists and `overwrite` is not set.
 */
export async function writeIdentityKeyPem(
  path: string,
  keypair: HsIdKeypair,
  options: WriteKeyOptions = {},
): Promise<void> {
  const pem = options.passphrase === undefined
    ? encodePkcs8Pem(keypair)
    : encodeEncryptedPkcs8Pem(keypair, options.passphrase);
  await writeSecret(path, encoder.encode(pem), options);
}

/**
 * Writes tor's three files (`hs_ed25519_secret_key`, `hs_ed25519_public_key`,
 * `hostname`) into an existing directory, each with mode 0600, as tor does in
 * a `HiddenServiceDir`.
 *
 * @throws {Deno.errors.AlreadyExists} When a file exists and `overwrite` is not set.
 */
export async function writeTorKeyFiles(
  dir: string,
  keypair: HsIdKeypair,
  options: WriteKeyOptions = {},
): Promise<void> {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  await writeSecret(
    `${base}${TOR_KEY_FILE_NAMES.secret}`,
    encodeTorSecretKeyFile(keypair),
    options,
  );
  await writeSecret(
    `${base}${TOR_KEY_FILE_NAMES.public}`,
    encodeTorPublicKeyFile(keypair.public),
    options,
  );
  await writeSecret(
    `${base}${TOR_KEY_FILE_NAMES.hostname}`,
    encoder.encode(encodeHostnameFile(keypair.public)),
    options,
  );
}

async function writeSecret(path: string, data: Uint8Array, options: WriteKeyOptions) {
  try {
    await Deno.writeFile(path, data, { mode: 0o600, createNew: options.overwrite !== true });
    // `mode` applies only when the file is created; tighten a replaced file too.
    if (options.overwrite === true) await Deno.chmod(path, 0o600);
  } finally {
    data.fill(0);
  }
}
