/**
 * v3 onion addresses: `base32(PUBKEY | CHECKSUM | VERSION) + ".onion"`.
 *
 * Spec: rend-spec-v3 §6 [ONIONADDRESS]; tor `hs_common.c: hs_build_address,
 * hs_parse_address_no_log, hs_address_is_valid`.
 * ```
 * CHECKSUM = H(".onion checksum" | PUBKEY | VERSION)[:2]
 * VERSION  = 0x03
 * ```
 * SPEC-DEVIATION([ONIONADDRESS]): tor's `hs_address_is_valid` does not check
 * the version byte; like arti we require version 3.
 *
 * @module
 */

import { bytesEqual, BytesError, concat, fromBase32, toBase32 } from "../bytes/mod.ts";
import { sha3 } from "../crypto/mod.ts";
import { KeyError } from "./errors.ts";
import { HsIdKey } from "./identity.ts";

const VERSION = 0x03;
const ADDRESS_LENGTH = 56;

function checksum(pubkey: Uint8Array, version: number): Uint8Array {
  return sha3(".onion checksum", pubkey, new Uint8Array([version])).subarray(0, 2);
}

/**
 * The onion address of an identity key, lowercase, with the `.onion` suffix.
 *
 * @example
 * ```ts
 * import { fromHex } from "../bytes/mod.ts";
 * import { HsIdKey } from "./identity.ts";
 * import { encodeOnionAddress } from "./onion_address.ts";
 * encodeOnionAddress(HsIdKey.fromBytes(fromHex(
 *   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
 * ))); // "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion"
 * ```
 */
export function encodeOnionAddress(key: HsIdKey): string {
  const pubkey = key.toBytes();
  const raw = concat(pubkey, checksum(pubkey, VERSION), new Uint8Array([VERSION]));
  return `${toBase32(raw)}.onion`;
}

/** The 56-character form without `.onion`, as control-port commands take it. */
export function onionAddressLabel(key: HsIdKey): string {
  return encodeOnionAddress(key).slice(0, ADDRESS_LENGTH);
}

/**
 * Parses a v3 onion address, with or without `.onion`, in either case.
 *
 * @throws {KeyError} `V2Address` for a 16-character v2 address (Tor removed v2
 *   onion services in 0.4.6), `BadLength`, `NotBase32`, `BadChecksum`,
 *   `BadVersion`, or `InvalidKey` (identity point or torsion component).
 */
export function parseOnionAddress(address: string): HsIdKey {
  const label = address.trim().replace(/\.onion$/i, "");
  if (label.length === 16 && /^[a-z2-7]{16}$/i.test(label)) {
    throw new KeyError(
      "V2Address",
      `Cannot use onion address "${address}": it is a v2 address, and Tor removed v2 onion services in 0.4.6; use a v3 address (56 characters)`,
    );
  }
  if (label.length !== ADDRESS_LENGTH) {
    throw new KeyError(
      "BadLength",
      `Cannot use onion address "${address}": a v3 address has 56 characters before ".onion", this has ${label.length}`,
    );
  }
  let raw: Uint8Array;
  try {
    raw = fromBase32(label);
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw new KeyError("NotBase32", `Cannot use onion address "${address}": not base32`, { cause });
  }
  const pubkey = raw.subarray(0, 32);
  const version = raw[34]!;
  if (!bytesEqual(raw.subarray(32, 34), checksum(pubkey, version))) {
    throw new KeyError("BadChecksum", `Cannot use onion address "${address}": bad checksum`);
  }
  if (version !== VERSION) {
    throw new KeyError(
      "BadVersion",
      `Cannot use onion address "${address}": version ${version}, expected ${VERSION}`,
    );
  }
  try {
    return HsIdKey.fromBytes(pubkey);
  } catch (cause) {
    throw new KeyError(
      "InvalidKey",
      `Cannot use onion address "${address}": its key is not a valid ed25519 public key`,
      { cause },
    );
  }
}
