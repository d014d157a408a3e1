/**
 * Microdescriptors as `GETINFO md/all` returns them, reduced to what the hash
 * ring needs: each one's digest (how the consensus `m` line names it) and its
 * ed25519 identity.
 *
 * Spec: dir-spec §3.3 (microdescriptor format, `id ed25519`), §3.9.2 (the
 * digest is SHA-256 of the whole microdescriptor text).
 *
 * C-tor quirk (seen with tor 0.4.9.11's `GETINFO md/all`): the control
 * port's data block loses the final newline of the last microdescriptor. Every
 * microdescriptor ends in "\n", so each one is hashed with its newline,
 * restored when missing; OnionBalance 0.2.2 hashes the last one without it and
 * silently drops that relay from its ring.
 *
 * @module
 */

import { fromBase64 } from "../bytes/mod.ts";
import { sha256Base64NoPad } from "../crypto/mod.ts";
import { RelayEd25519Id } from "../keys/mod.ts";

/** One microdescriptor: its digest and the relay's ed25519 identity, if it has one. */
export interface Microdescriptor {
  /** Base64 (no padding) SHA-256 of the microdescriptor text, as in the consensus `m` line. */
  digest: string;
  /** The relay's 32-byte ed25519 identity from `id ed25519`, if present and well formed. */
  ed25519Id?: RelayEd25519Id;
}

/**
 * Splits the concatenation that `GETINFO md/all` returns into
 * microdescriptors (each starts with an `onion-key` line) and digests each.
 * Malformed `id ed25519` values leave `ed25519Id` undefined: tor cannot place
 * such a relay on the ring either.
 */
export function parseMicrodescriptors(text: string): Microdescriptor[] {
  return parseWith(text, undefined);
}

/**
 * {@link parseMicrodescriptors} that remembers each microdescriptor of its
 * last parse by its text: the next parse (the next consensus's `md/all`,
 * which mostly repeats the last one) hashes and decodes only the new ones and
 * hands back the same objects for the others. A microdescriptor's digest and
 * identity depend on its text alone, so the results are the same as a fresh
 * parse. Holds only the last parse's microdescriptors.
 *
 * @example
 * ```ts
 * import { MicrodescCache } from "./microdesc.ts";
 * const cache = new MicrodescCache();
 * const md = "onion-key\nntor-onion-key AAAA\n";
 * const [first] = cache.parse(md);
 * cache.parse(md)[0] === first; // true
 * ```
 */
export class MicrodescCache {
  #byText = new Map<string, Microdescriptor>();

  /** Parses `text` like {@link parseMicrodescriptors}, reusing the last parse's results. */
  parse(text: string): Microdescriptor[] {
    const next = new Map<string, Microdescriptor>();
    const out = parseWith(text, { known: this.#byText, next });
    this.#byText = next;
    return out;
  }

  /** How many microdescriptors the last parse held. */
  get size(): number {
    return this.#byText.size;
  }
}

function parseWith(
  text: string,
  cache:
    | { known: ReadonlyMap<string, Microdescriptor>; next: Map<string, Microdescriptor> }
    | undefined,
): Microdescriptor[] {
  const normalized = text.indexOf("\r") < 0 ? text : text.replace(/\r\n/g, "\n");
  const starts = microdescStarts(normalized);
  // Encode the whole text once (at the first microdescriptor to hash) and hash
  // slices of it; character offsets are byte offsets when the text is ASCII, as
  // tor's microdescriptors are.
  let encoded: { bytes: Uint8Array; ascii: boolean } | undefined;
  const whole = () => {
    if (encoded === undefined) {
      const bytes = new TextEncoder().encode(normalized);
      encoded = { bytes, ascii: bytes.length === normalized.length };
    }
    return encoded;
  };
  const out: Microdescriptor[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = starts[i + 1] ?? normalized.length;
    const lostNewline = normalized.charCodeAt(end - 1) !== 0x0a;
    let mdText: string | undefined;
    if (cache !== undefined) {
      mdText = lostNewline ? `${normalized.slice(start, end)}\n` : normalized.slice(start, end);
      const known = cache.known.get(mdText) ?? cache.next.get(mdText);
      if (known !== undefined) {
        cache.next.set(mdText, known);
        out.push(known);
        continue;
      }
    }
    let digestInput: Uint8Array | string;
    if (lostNewline) {
      digestInput = `${normalized.slice(start, end)}\n`; // the lost final newline
    } else {
      const { bytes, ascii } = whole();
      digestInput = ascii ? bytes.subarray(start, end) : normalized.slice(start, end);
    }
    const md: Microdescriptor = { digest: sha256Base64NoPad(digestInput) };
    const id = ed25519IdText(normalized, start, end);
    if (id !== undefined) {
      try {
        const key = fromBase64(id);
        if (key.length === 32) md.ed25519Id = RelayEd25519Id.fromBytes(key);
      } catch {
        // Not a valid key: leave the relay without an ed25519 identity.
      }
    }
    if (cache !== undefined && mdText !== undefined) cache.next.set(mdText, md);
    out.push(md);
  }
  return out;
}

/** Where each microdescriptor starts: at each line `onion-key` (alone or followed by a space). */
function microdescStarts(text: string): number[] {
  const starts: number[] = [];
  const keyword = "onion-key";
  for (let at = text.startsWith(keyword) ? 0 : text.indexOf(`\n${keyword}`); at >= 0;) {
    const start = text.charCodeAt(at) === 0x0a ? at + 1 : at;
    const next = text.charCodeAt(start + keyword.length); // NaN at the end of the text
    if (Number.isNaN(next) || next === 0x20 || next === 0x0a) starts.push(start);
    at = text.indexOf(`\n${keyword}`, start + 1);
  }
  return starts;
}

/** The argument of the first `id ed25519` line within [start, end), up to whitespace. */
function ed25519IdText(text: string, start: number, end: number): string | undefined {
  const prefix = "\nid ed25519 ";
  for (let at = text.indexOf(prefix, start); at >= 0; at = text.indexOf(prefix, at + 1)) {
    const from = at + prefix.length;
    if (from > end) return undefined;
    let to = from;
    while (to < end && !isSpace(text.charCodeAt(to))) to++;
    if (to > from) return text.slice(from, to);
  }
  return undefined;
}

/** Whether a char code is whitespace, exactly as the regular expression `\s` knows it. */
function isSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 ||
    c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
