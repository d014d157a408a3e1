/**
 * The middle document (the plaintext of the first, "superencrypted" layer):
 * the client-authorization section and the encrypted inner layer.
 *
 * Spec: rend-spec-v3 §2.5.1 [HS-DESC-FIRST-LAYER] (§2.5.1.2 plaintext format) —
 * https://spec.torproject.org/rend-spec/hsdesc-encrypt.html; tor
 * `hs_descriptor.c: get_outer_encrypted_layer_plaintext,
 * desc_decode_superencrypted_v3` (token table
 * `hs_desc_superencrypted_v3_token_table`); arti `middle.rs`.
 *
 * ```
 * desc-auth-type x25519
 * desc-auth-ephemeral-key <curve25519 b64>
 * auth-client <client-id 8B> <iv 16B> <encrypted-cookie 16B>     (one or more)
 * encrypted NL <MESSAGE>
 * ```
 *
 * Role: parse and encode. Nothing in this layer is signed, so the parser
 * returns a plain {@link HsDescMiddle}. C tor quirk: the layer has no `\n`
 * after `-----END MESSAGE-----`; the encoder copies that and the parser
 * accepts it with or without.
 *
 * @module
 */

import { toBase64NoPad } from "../../bytes/mod.ts";
import { armor } from "../armor.ts";
import { checkSection, type SectionRules } from "../rules.ts";
import { type NetdocItem, tokenize } from "../tokenize.ts";
import { base64Arg, curve25519Arg, itemError, objectBody } from "../_values.ts";
import { DescAuthEphemeralKey } from "./keys.ts";

const RULES: SectionRules = {
  document: "middle",
  first: "desc-auth-type",
  rules: [
    { keyword: "desc-auth-type", count: "once", minArgs: 1, object: "forbidden" },
    { keyword: "desc-auth-ephemeral-key", count: "once", minArgs: 1, object: "forbidden" },
    { keyword: "auth-client", count: "one-or-more", minArgs: 3, object: "forbidden" },
    { keyword: "encrypted", count: "once", maxArgs: 0, object: "required" },
  ],
};

/** One `auth-client` line: a real client's encrypted cookie, or random filler. */
export interface AuthClient {
  /** `client-id`: 8 bytes. */
  readonly clientId: Uint8Array;
  /** `iv`: 16 bytes. */
  readonly iv: Uint8Array;
  /** `encrypted-cookie`: 16 bytes. */
  readonly encryptedCookie: Uint8Array;
}

/** The middle document. */
export interface HsDescMiddle {
  /** `desc-auth-type`; always `x25519`. */
  readonly authType: "x25519";
  /** `desc-auth-ephemeral-key`. */
  readonly ephemeralKey: DescAuthEphemeralKey;
  /** The `auth-client` lines in order. */
  readonly authClients: readonly AuthClient[];
  /** The `encrypted` blob: SALT | ENCRYPTED | MAC of the inner layer. */
  readonly encrypted: Uint8Array;
  /** Items with unknown keywords (kept, ignored). */
  readonly unrecognized: readonly NetdocItem[];
}

/**
 * Parses the middle document (after the NUL padding is cut off).
 *
 * @param text The plaintext as a binary string.
 * @returns The document.
 * @throws {NetdocSyntaxError} With `document: "middle"`.
 */
export function parseHsDescMiddle(text: string): HsDescMiddle {
  const section = checkSection(tokenize(text, { document: "middle" }), RULES);
  const authType = section.required("desc-auth-type");
  if (authType.args[0] !== "x25519") {
    throw itemError(
      "BadArgument",
      "middle",
      authType,
      `auth type "${authType.args[0]}", expected "x25519"`,
    );
  }
  const ephemeralKey = DescAuthEphemeralKey.fromBytes(
    curve25519Arg("middle", section.required("desc-auth-ephemeral-key"), 0),
  );
  const authClients = section.all("auth-client").map((item) => ({
    clientId: base64Arg("middle", item, 0, 8),
    iv: base64Arg("middle", item, 1, 16),
    encryptedCookie: base64Arg("middle", item, 2, 16),
  }));
  const encryptedItem = section.required("encrypted");
  const encrypted = objectBody("middle", encryptedItem, "MESSAGE");
  if (encrypted.length <= 48) {
    throw itemError("BadArgument", "middle", encryptedItem, "the encrypted blob is too short");
  }
  return {
    authType: "x25519",
    ephemeralKey,
    authClients,
    encrypted,
    unrecognized: section.unrecognized,
  };
}

/** What {@link encodeHsDescMiddle} writes. */
export interface HsDescMiddleToEncode {
  /** `desc-auth-ephemeral-key`. */
  readonly ephemeralKey: DescAuthEphemeralKey;
  /** The `auth-client` lines, already padded and shuffled. */
  readonly authClients: readonly AuthClient[];
  /** The encrypted inner layer. */
  readonly encrypted: Uint8Array;
}

/**
 * Writes the middle document exactly as tor does
 * (`get_outer_encrypted_layer_plaintext`): no `\n` after the END line.
 *
 * @param middle The fields.
 * @returns The plaintext (before NUL padding).
 */
export function encodeHsDescMiddle(middle: HsDescMiddleToEncode): string {
  const clients = middle.authClients.map((c) => {
    checkLength(c.clientId, 8, "client-id");
    checkLength(c.iv, 16, "iv");
    checkLength(c.encryptedCookie, 16, "encrypted-cookie");
    const fields = [c.clientId, c.iv, c.encryptedCookie].map(toBase64NoPad).join(" ");
    return `auth-client ${fields}\n`;
  });
  return "desc-auth-type x25519\n" +
    `desc-auth-ephemeral-key ${middle.ephemeralKey}\n` +
    clients.join("") +
    "encrypted\n" +
    armor("MESSAGE", middle.encrypted);
}

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n) throw new RangeError(`Cannot encode auth-client: ${what} is ${n} bytes`);
}
