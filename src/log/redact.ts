/**
 * Redaction of onion addresses in log messages, in the style of arti's `safelog`.
 *
 * Spec: rend-spec [ONIONADDRESS] (a v3 address is 56 base32 characters, optionally followed by
 * `.onion`); arti `crates/tor-hscrypto/src/pk.rs` (`impl Redactable for HsId`).
 *
 * Role: {@link Logger} calls {@link redactOnionAddresses} on every message at info level and above
 * unless safe logging is off. Like arti, the redacted form keeps only the last three characters of
 * the address ("???sid.onion"): those carry 7 bits of the key, and showing the *start* would reveal
 * vanity prefixes. File paths are the exception: an address inside a path (a key file named after
 * its address, a HiddenServiceDir) stays whole, because the operator must recognise which file an
 * error names, and the path is theirs already; URLs are not paths and are redacted. Pure string
 * code, no I/O.
 *
 * @module
 */

/**
 * A v3 onion address: exactly 56 base32 characters, not part of a longer base32 run, with an
 * optional `.onion` suffix. Case-insensitive, so an upper-case address is redacted too.
 */
const ONION_ADDRESS = /(?<![a-z2-7])([a-z2-7]{53})([a-z2-7]{3})(\.onion)?(?![a-z2-7])/gi;

/** A word of a message: the characters between blanks, quotes and brackets. */
const WORD = /[^\s"'`()<>[\]{},;]+/g;

/** Whether `word` is a file path (it has a slash and is not a URL such as `http://x.onion/`). */
function isPath(word: string): boolean {
  return word.includes("/") && !word.includes("://");
}

/**
 * Replaces every v3 onion address in `text` with its redacted form, `???` followed by the last
 * three characters (and `.onion` when the address had it), as arti's `HsId` does. Addresses
 * inside file paths are kept (see the module notes).
 *
 * @param text Any log message.
 * @returns `text` with the addresses redacted.
 *
 * @example
 * ```ts
 * import { redactOnionAddresses } from "./redact.ts";
 * const text = redactOnionAddresses(
 *   "Fetching 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion",
 * );
 * if (text !== "Fetching ???sid.onion") throw new Error(text);
 * ```
 */
export function redactOnionAddresses(text: string): string {
  return text.replace(WORD, (word) =>
    isPath(word) ? word : word.replace(
      ONION_ADDRESS,
      (_match, _head: string, tail: string, suffix: string | undefined) =>
        `???${tail}${suffix ?? ""}`,
    ));
}
