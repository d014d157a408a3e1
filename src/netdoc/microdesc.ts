/**
 * Microdescriptors as `GETINFO md/all` returns them, reduced to what the hash
 * ring needs: each one's digest (how the consensus `m` line names it) and its
 * ed25519 identity.
 *
 * Spec: dir-spec §3.3 (microdescriptor format, `id ed25519`), §3.9.2 (the
 * digest is SHA-256 of the whole microdescriptor text).
 *
 * C-tor quirk (private-tor-network.md "Pitfalls"): the control port's data
 * block loses the final newline of the last microdescriptor. Every
 * microdescriptor ends in "\n", so each one is hashed with its newline,
 * restored when missing; OnionBalance 0.2.2 hashes the last one without it and
 * silently drops that relay from its ring.
 *
 * @module
 */

import { fromBase64, toBase64NoPad } from "../bytes/mod.ts";
import { sha256 } from "../crypto/mod.ts";
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
  const normalized = text.replace(/\r\n/g, "\n");
  const starts: number[] = [];
  const re = /(^|\n)onion-key(?=[ \n]|$)/g;
  for (let m = re.exec(normalized); m !== null; m = re.exec(normalized)) {
    starts.push(m.index + m[1]!.length);
  }
  const out: Microdescriptor[] = [];
  for (const [i, start] of starts.entries()) {
    let body = normalized.slice(start, starts[i + 1] ?? normalized.length);
    if (!body.endsWith("\n")) body += "\n";
    const md: Microdescriptor = { digest: toBase64NoPad(sha256(body)) };
    const id = /(?:^|\n)id ed25519 (\S+)/.exec(body);
    if (id !== null) {
      try {
        const key = fromBase64(id[1]!);
        if (key.length === 32) md.ed25519Id = RelayEd25519Id.fromBytes(key);
      } catch {
        // Not a valid key: leave the relay without an ed25519 identity.
      }
    }
    out.push(md);
  }
  return out;
}
