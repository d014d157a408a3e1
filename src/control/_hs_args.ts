/**
 * Argument checks shared by HSFETCH and HSPOST: the onion address and HSDir fingerprints.
 *
 * Spec: rend-spec [ONIONADDRESS] (56 base32 characters); control-spec §3.26 HSFETCH, §3.29
 * HSPOST (`SERVER=` takes a LongName: `$` + 40 hex digits, optionally `~nick` or `=nick`);
 * tor `control_cmd.c: handle_control_hsfetch, handle_control_hspost`
 * (`hex_digest_nickname_decode`).
 *
 * Role: private to `src/control/`. It checks the shape only (the checksum is `src/keys/`'s job),
 * which is enough to keep spaces and line breaks out of a command line.
 *
 * @module
 */

const ADDRESS = /^[a-z2-7]{56}$/;
const LONG_NAME = /^\$?([0-9A-Fa-f]{40})(?:[~=][A-Za-z0-9]{1,19})?$/;

/**
 * The address as tor's HSFETCH and HSPOST want it: lower case, without `.onion`.
 *
 * @throws {RangeError} If it is not 56 base32 characters (with or without `.onion`).
 */
export function normalizeOnionAddress(address: string): string {
  const bare = address.toLowerCase().replace(/\.onion$/, "");
  if (!ADDRESS.test(bare)) {
    throw new RangeError(`Cannot use onion address "${address}": expected 56 base32 characters`);
  }
  return bare;
}

/**
 * An HSDir's fingerprint, 40 upper-case hex digits, from `FP`, `$FP`, `$FP~nick` or `$FP=nick`.
 *
 * @throws {RangeError} If it is none of those.
 */
export function normalizeFingerprint(hsDir: string): string {
  const match = LONG_NAME.exec(hsDir);
  if (!match) {
    throw new RangeError(`Cannot use HSDir "${hsDir}": expected a 40-hex-digit fingerprint`);
  }
  return match[1]!.toUpperCase();
}
