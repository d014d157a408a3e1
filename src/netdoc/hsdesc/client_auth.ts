/**
 * Client authorization ("restricted discovery"): the `auth-client` lines that
 * carry the descriptor cookie to each authorized client, and tor's
 * `.auth_private` client key file.
 *
 * Spec: rend-spec-v3 §1.9.1 [CLIENT-AUTH], §2.5.1.2 [HS-DESC-FIRST-LAYER] —
 * https://spec.torproject.org/rend-spec/hsdesc-encrypt.html#CLIENT-AUTH;
 * tor `hs_descriptor.c: build_descriptor_cookie_keys,
 * hs_desc_build_authorized_client, decrypt_descriptor_cookie`;
 * `hs_client.c: parse_auth_file_content`.
 *
 * ```
 * SECRET_SEED = x25519(esk, KP_hsc_desc_enc)        -- or x25519(client_sk, epk)
 * KEYS        = KDF(N_hs_subcred | SECRET_SEED, 40)
 * CLIENT-ID   = first 8 bytes of KEYS;  COOKIE-KEY = last 32 bytes of KEYS
 * encrypted-cookie = AES-256-CTR(COOKIE-KEY, IV) XOR N_hs_desc_enc
 * ```
 *
 * Role: pure functions (AES via WebCrypto is async). The client's secret key
 * and the cookie are never logged; derived keys are wiped after use.
 *
 * @module
 */

import { BytesError, fromBase32, toBase32 } from "../../bytes/mod.ts";
import { aes256Ctr, constantTimeEqual, shake } from "../../crypto/mod.ts";
import {
  type HsIdKey,
  KeyError,
  onionAddressLabel,
  parseOnionAddress,
  type Subcredential,
} from "../../keys/mod.ts";
import {
  type DescAuthEphemeralKey,
  type DescAuthEphemeralKeypair,
  DescriptorCookie,
  HsClientDescEncKey,
  HsClientDescEncKeypair,
} from "./keys.ts";
import type { AuthClient } from "./middle.ts";

/** `KEYS = KDF(N_hs_subcred | SECRET_SEED, 40)` split into CLIENT-ID and COOKIE-KEY. */
function cookieKeys(subcredential: Subcredential, secretSeed: Uint8Array) {
  const keys = shake(40, subcredential.toBytes(), secretSeed);
  secretSeed.fill(0);
  return { clientId: keys.slice(0, 8), cookieKey: keys.slice(8, 40) };
}

/** Inputs of {@link buildAuthClient}. */
export interface BuildAuthClientOptions {
  /** The frontend's subcredential for the descriptor's time period. */
  subcredential: Subcredential;
  /** The descriptor's ephemeral keypair (its public key is `desc-auth-ephemeral-key`). */
  ephemeral: DescAuthEphemeralKeypair;
  /** `N_hs_desc_enc`, the descriptor cookie. */
  cookie: DescriptorCookie;
  /** 16 random bytes. */
  iv: Uint8Array;
}

/**
 * The `auth-client` entry for one authorized client
 * (tor `hs_desc_build_authorized_client`).
 *
 * @param client `KP_hsc_desc_enc`, the client's x25519 public key.
 * @param options Subcredential, ephemeral keypair, cookie and IV.
 * @returns The entry.
 */
export async function buildAuthClient(
  client: HsClientDescEncKey,
  options: BuildAuthClientOptions,
): Promise<AuthClient> {
  if (options.iv.length !== 16) throw new RangeError("Cannot build auth-client: IV is 16 bytes");
  const { clientId, cookieKey } = cookieKeys(
    options.subcredential,
    options.ephemeral.sharedSecret(client),
  );
  const encryptedCookie = await aes256Ctr(cookieKey, options.iv, options.cookie.toBytes());
  cookieKey.fill(0);
  return { clientId, iv: options.iv.slice(), encryptedCookie };
}

/** Inputs of {@link decryptDescriptorCookie}. */
export interface DecryptCookieOptions {
  /** The backend's subcredential for the descriptor's time period. */
  subcredential: Subcredential;
  /** `desc-auth-ephemeral-key` from the middle layer. */
  ephemeralKey: DescAuthEphemeralKey;
}

/**
 * Finds the `auth-client` line meant for `client` and decrypts the cookie
 * (tor `decrypt_descriptor_cookie`).
 *
 * @param client The client's x25519 keypair.
 * @param authClients The middle layer's `auth-client` lines.
 * @param options Subcredential and ephemeral key.
 * @returns The cookie, or `undefined` when no line matches the client.
 */
export async function decryptDescriptorCookie(
  client: HsClientDescEncKeypair,
  authClients: readonly AuthClient[],
  options: DecryptCookieOptions,
): Promise<DescriptorCookie | undefined> {
  let seed: Uint8Array;
  try {
    seed = client.sharedSecret(options.ephemeralKey);
  } catch (error) {
    if (error instanceof RangeError) return undefined; // low-order ephemeral key: no match
    throw error;
  }
  const { clientId, cookieKey } = cookieKeys(options.subcredential, seed);
  try {
    const entry = authClients.find((c) => constantTimeEqual(c.clientId, clientId));
    if (entry === undefined) return undefined;
    return DescriptorCookie.fromBytes(await aes256Ctr(cookieKey, entry.iv, entry.encryptedCookie));
  } finally {
    cookieKey.fill(0);
  }
}

/** The contents of a tor client `.auth_private` file. */
export interface ClientAuthKeyFile {
  /** The onion service the key is for. */
  readonly service: HsIdKey;
  /** The client's x25519 keypair. */
  readonly key: HsClientDescEncKeypair;
}

/**
 * Parses a tor client key file (`ClientOnionAuthDir/*.auth_private`):
 * `<56-char address>:descriptor:x25519:<base32 secret key>`.
 *
 * @param text The file contents (a trailing newline is allowed).
 * @returns The service address and the key.
 * @throws {KeyError} `BadKeyFile`, without quoting the secret.
 */
export function parseClientAuthKeyFile(text: string): ClientAuthKeyFile {
  const fields = text.trim().split(":");
  if (fields.length !== 4) {
    throw new KeyError(
      "BadKeyFile",
      "Cannot read client key: expected <address>:descriptor:x25519:<key>",
    );
  }
  const [address, authType, keyType, secret] = fields as [string, string, string, string];
  if (authType !== "descriptor" || keyType !== "x25519") {
    throw new KeyError(
      "BadKeyFile",
      `Cannot read client key: type "${authType}:${keyType}", expected "descriptor:x25519"`,
    );
  }
  let service: HsIdKey;
  try {
    service = parseOnionAddress(address);
  } catch (cause) {
    throw new KeyError("BadKeyFile", `Cannot read client key: bad address "${address}"`, { cause });
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase32(secret);
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw new KeyError("BadKeyFile", "Cannot read client key: the key is not base32", { cause });
  }
  if (bytes.length !== 32) {
    throw new KeyError("BadKeyFile", "Cannot read client key: the key is not 32 bytes");
  }
  const key = HsClientDescEncKeypair.fromSecret(bytes);
  bytes.fill(0);
  return { service, key };
}

/**
 * Parses a service-side authorized client file (tor `hs_service.c: parse_authorized_client`,
 * the files of `HiddenServiceDir/authorized_clients/<name>.auth`):
 * `descriptor:x25519:<base32 public key>`, with whitespace around the fields allowed.
 *
 * @param text The file contents.
 * @returns The client's `KP_hsc_desc_enc`.
 * @throws {KeyError} `BadKeyFile` naming what is wrong.
 */
export function parseAuthorizedClientFile(text: string): HsClientDescEncKey {
  const fields = text.split(":").map((f) => f.trim());
  if (fields.length !== 3) {
    throw new KeyError(
      "BadKeyFile",
      "Cannot read authorized client: expected descriptor:x25519:<base32 public key>",
    );
  }
  const [authType, keyType, key] = fields as [string, string, string];
  if (authType !== "descriptor" || keyType !== "x25519") {
    throw new KeyError(
      "BadKeyFile",
      `Cannot read authorized client: type "${authType}:${keyType}", expected "descriptor:x25519"`,
    );
  }
  // BASE32_NOPAD_LEN(CURVE25519_PUBKEY_LEN): 52 characters.
  if (key.length !== 52) {
    throw new KeyError(
      "BadKeyFile",
      `Cannot read authorized client: the key has ${key.length} characters, expected 52 (base32)`,
    );
  }
  try {
    return HsClientDescEncKey.fromBytes(fromBase32(key.toLowerCase()));
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw new KeyError("BadKeyFile", "Cannot read authorized client: the key is not base32", {
      cause,
    });
  }
}

/** The `.auth` file tor reads for one authorized client: `descriptor:x25519:<BASE32>\n`. */
export function encodeAuthorizedClientFile(key: HsClientDescEncKey): string {
  return `descriptor:x25519:${toBase32(key.toBytes()).toUpperCase()}\n`;
}

/**
 * The client's `ClientOnionAuthDir/<name>.auth_private` file for `service`:
 * `<56-char address>:descriptor:x25519:<BASE32 secret key>\n` (tor `hs_client.c:
 * parse_auth_file_content`). The string holds the client's secret.
 */
export function encodeClientAuthKeyFile(service: HsIdKey, key: HsClientDescEncKeypair): string {
  const secret = key.secret();
  try {
    return `${onionAddressLabel(service)}:descriptor:x25519:${toBase32(secret).toUpperCase()}\n`;
  } finally {
    secret.fill(0);
  }
}
