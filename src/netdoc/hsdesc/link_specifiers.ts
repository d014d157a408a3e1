/**
 * The link-specifier block of an `introduction-point` line: how a client
 * reaches the introduction point relay.
 *
 * Spec: rend-spec-v3 §0.4 [BUILDING-BLOCKS], §2.5.2.2 (`introduction-point`); tor-spec §5.1.2
 * [EXTEND2] (link specifier types); trunnel `link_specifier_list`;
 * tor `hs_descriptor.c: encode_link_specifiers`; arti `crates/tor-netdoc/testdata/hsdesc2.txt`
 * (real tor-made blocks, in tor's order 00, 02, 03, 01).
 *
 * ```
 * NSPEC(1) | NSPEC × ( LSTYPE(1) LSLEN(1) LSPEC(LSLEN) )
 *   00: IPv4(4) ORPort(2)   01: IPv6(16) ORPort(2)   02: RSA id(20)   03: ed25519 id(32)
 * ```
 *
 * Role: decodes for display and checks, but keeps the exact bytes: a
 * balancer must copy the block byte for byte (clients pass unknown types on
 * unchanged and must not reorder).
 *
 * @module
 */

import { ByteReader, bytesEqual, BytesError, toBase64NoPad, toHex } from "../../bytes/mod.ts";

/**
 * One decoded link specifier, told apart by `kind` (a `switch` on it narrows).
 * Unknown types keep their LSTYPE and raw data.
 */
export type LinkSpecifier =
  | { readonly kind: "ipv4"; readonly address: string; readonly port: number }
  | { readonly kind: "ipv6"; readonly address: string; readonly port: number }
  | { readonly kind: "legacy-id"; readonly rsaId: Uint8Array }
  | { readonly kind: "ed25519-id"; readonly ed25519Id: Uint8Array }
  | { readonly kind: "unknown"; readonly type: number; readonly data: Uint8Array };

/** LSTYPE of each known kind (tor-spec [EXTEND2]). */
const TYPE_OF = { ipv4: 0, ipv6: 1, "legacy-id": 2, "ed25519-id": 3 } as const;

const KNOWN_LENGTH: Record<number, number> = { 0: 6, 1: 18, 2: 20, 3: 32 };

/** The LSTYPE byte of a link specifier (tor-spec [EXTEND2]: 0 IPv4, 1 IPv6, 2 RSA id, 3 ed25519 id). */
export function linkSpecifierType(spec: LinkSpecifier): number {
  return spec.kind === "unknown" ? spec.type : TYPE_OF[spec.kind];
}

/** A link-specifier block: decoded entries plus the exact bytes. */
export class LinkSpecifiers {
  readonly #bytes: Uint8Array;
  /** The entries in order. */
  readonly specifiers: readonly LinkSpecifier[];

  private constructor(bytes: Uint8Array, specifiers: readonly LinkSpecifier[]) {
    this.#bytes = bytes;
    this.specifiers = specifiers;
  }

  /**
   * Decodes a block (tor `link_specifier_list_parse`: a known type must have
   * its exact length, and no bytes may follow the last entry).
   *
   * @param bytes The decoded base64 of the `introduction-point` argument.
   * @returns The block.
   * @throws {BytesError} `Truncated`, `TrailingBytes` or `BadLength`.
   */
  static decode(bytes: Uint8Array): LinkSpecifiers {
    const reader = new ByteReader(bytes);
    const count = reader.u8();
    const specifiers: LinkSpecifier[] = [];
    for (let i = 0; i < count; i++) {
      const type = reader.u8();
      const length = reader.u8();
      const data = reader.bytes(length);
      const known = KNOWN_LENGTH[type];
      if (known !== undefined && known !== length) {
        throw new BytesError(
          "BadLength",
          `Cannot decode link specifier of type ${type}: ${length} bytes, expected ${known}`,
        );
      }
      specifiers.push(decodeOne(type, data));
    }
    reader.end();
    return new LinkSpecifiers(bytes.slice(), specifiers);
  }

  /**
   * Encodes entries in the given order.
   *
   * @param specifiers Entries; unknown types use `data`.
   * @throws {RangeError} On more than 255 entries, a bad address or a wrong length.
   */
  static encode(specifiers: readonly LinkSpecifier[]): LinkSpecifiers {
    if (specifiers.length > 255) throw new RangeError("Cannot encode 256 or more link specifiers");
    const parts: number[] = [specifiers.length];
    for (const spec of specifiers) {
      const data = encodeOne(spec);
      if (data.length > 255) throw new RangeError("Cannot encode a link specifier over 255 bytes");
      parts.push(linkSpecifierType(spec), data.length, ...data);
    }
    return LinkSpecifiers.decode(new Uint8Array(parts));
  }

  /** A copy of the exact bytes. */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Whether both blocks have the same bytes. */
  equals(other: LinkSpecifiers): boolean {
    return bytesEqual(this.#bytes, other.#bytes);
  }

  /** E.g. `ipv4 192.0.2.1:9001, legacy $AAAA…, ed25519 u7u7…`. */
  toString(): string {
    return this.specifiers.map(describeLinkSpecifier).join(", ");
  }
}

/** A one-line description of a link specifier, as the CLI prints it. */
export function describeLinkSpecifier(spec: LinkSpecifier): string {
  switch (spec.kind) {
    case "ipv4":
      return `ipv4 ${spec.address}:${spec.port}`;
    case "ipv6":
      return `ipv6 [${spec.address}]:${spec.port}`;
    case "legacy-id":
      return `legacy $${toHex(spec.rsaId).toUpperCase()}`;
    case "ed25519-id":
      return `ed25519 ${toBase64NoPad(spec.ed25519Id)}`;
    case "unknown":
      return `type ${spec.type} ${toHex(spec.data)}`;
  }
}

function decodeOne(type: number, data: Uint8Array): LinkSpecifier {
  const port = (at: number) => (data[at]! << 8) | data[at + 1]!;
  switch (type) {
    case TYPE_OF.ipv4:
      return { kind: "ipv4", address: Array.from(data.subarray(0, 4)).join("."), port: port(4) };
    case TYPE_OF.ipv6:
      return { kind: "ipv6", address: ipv6ToString(data.subarray(0, 16)), port: port(16) };
    case TYPE_OF["legacy-id"]:
      return { kind: "legacy-id", rsaId: data };
    case TYPE_OF["ed25519-id"]:
      return { kind: "ed25519-id", ed25519Id: data };
    default:
      return { kind: "unknown", type, data };
  }
}

function encodeOne(spec: LinkSpecifier): Uint8Array {
  const withPort = (addr: Uint8Array, port: number) => {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new RangeError(`Cannot encode port ${port}`);
    }
    return new Uint8Array([...addr, port >> 8, port & 0xff]);
  };
  switch (spec.kind) {
    case "ipv4":
      return withPort(parseIpv4(spec.address), spec.port);
    case "ipv6":
      return withPort(parseIpv6(spec.address), spec.port);
    case "legacy-id":
      return spec.rsaId;
    case "ed25519-id":
      return spec.ed25519Id;
    case "unknown":
      return spec.data;
  }
}

function parseIpv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`Cannot encode IPv4 address "${text}"`);
  }
  return new Uint8Array(parts.map(Number));
}

function parseIpv6(text: string): Uint8Array {
  const halves = text.split("::");
  if (halves.length > 2) throw new RangeError(`Cannot encode IPv6 address "${text}"`);
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...Array(fill).fill("0"), ...tail];
  if (all.length !== 8 || fill < 0 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    throw new RangeError(`Cannot encode IPv6 address "${text}"`);
  }
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** RFC 5952 text form: lowercase, leading zeros dropped, the longest run of ≥ 2 zero groups as `::`. */
function ipv6ToString(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}
