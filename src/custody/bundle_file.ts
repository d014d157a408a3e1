/**
 * Reading and writing offline key bundle files.
 *
 * Role: the file I/O of `custody/`. Like key files, a bundle file that group
 * or others may access is refused unread, and bundles are written with mode
 * 0600, never over an existing file unless asked.
 *
 * @module
 */

import { readSecretFile, SecretFileError } from "../keys/mod.ts";
import type { OfflineKeyBundle } from "./bundle.ts";
import {
  decodeOfflineBundle,
  type EncodeBundleOptions,
  encodeOfflineBundle,
} from "./bundle_text.ts";
import { BundleError } from "./errors.ts";

/**
 * Reads and verifies a bundle file.
 *
 * @throws {BundleError} `BadBundle` also when the file cannot be read or is
 *   readable by group or others (the message says which, and the `chmod` that fixes it);
 *   otherwise as `decodeOfflineBundle`.
 */
export async function loadOfflineBundle(
  path: string,
  options: { passphrase?: Uint8Array } = {},
): Promise<OfflineKeyBundle> {
  let bytes: Uint8Array;
  try {
    bytes = await readSecretFile(path);
  } catch (cause) {
    if (!(cause instanceof SecretFileError)) throw cause;
    const message = cause.kind === "Insecure"
      ? `Offline key bundle ${path} ${cause.message}`
      : `Cannot read offline key bundle "${path}": ${cause.message}`;
    throw new BundleError("BadBundle", message, { cause });
  }
  try {
    return decodeOfflineBundle(new TextDecoder().decode(bytes), { ...options, file: path });
  } finally {
    bytes.fill(0);
  }
}

/**
 * Writes a bundle file with mode 0600.
 *
 * @throws {Deno.errors.AlreadyExists} When the file exists and `overwrite` is not set.
 */
export async function writeOfflineBundle(
  path: string,
  bundle: OfflineKeyBundle,
  options: EncodeBundleOptions & { overwrite?: boolean } = {},
): Promise<void> {
  const data = new TextEncoder().encode(encodeOfflineBundle(bundle, options));
  try {
    await Deno.writeFile(path, data, { mode: 0o600, createNew: options.overwrite !== true });
    if (options.overwrite === true) await Deno.chmod(path, 0o600);
  } finally {
    data.fill(0);
  }
}
