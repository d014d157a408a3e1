/**
 * Typed readers for the arguments and objects of items: decimal integers,
 * fixed-length base64 values, curve25519 keys, and object tags.
 *
 * Spec: dir-spec §1.2; tor `binascii.c: base64_encode, base64_encode_nopad,
 * base64_decode` (which base64 fields are padded; decoders accept either); tor
 * `crypto_format.c: curve25519_public_from_base64`.
 *
 * Role: private to `src/netdoc/` (the `_` prefix). Every failure is a
 * {@link NetdocSyntaxError} naming the item's line and keyword, never a raw
 * exception from a decoder.
 *
 * @module
 */

import { BytesError, fromBase64 } from "../bytes/mod.ts";
import { type NetdocDocument, type NetdocErrorKind, NetdocSyntaxError } from "./errors.ts";
import type { NetdocItem } from "./tokenize.ts";

/** Throws a {@link NetdocSyntaxError} located at `item`. */
export function itemError(
  kind: NetdocErrorKind,
  document: NetdocDocument,
  item: NetdocItem,
  detail: string,
  cause?: unknown,
): NetdocSyntaxError {
  return new NetdocSyntaxError(kind, document, detail, {
    line: item.line,
    keyword: item.keyword,
    cause,
  });
}

/** The `index`-th argument (the rules guarantee it exists). */
function arg(item: NetdocItem, index: number): string {
  const value = item.args[index];
  if (value === undefined) throw new Error(`Bug: "${item.keyword}" has no argument ${index}`);
  return value;
}

/**
 * Reads a decimal unsigned integer argument (digits only, no sign, no spaces).
 *
 * @param document Which document, for errors.
 * @param item The item.
 * @param index Which argument.
 * @param max The largest allowed value.
 * @returns The value.
 * @throws {NetdocSyntaxError} `BadArgument`.
 */
export function decimalArg(
  document: NetdocDocument,
  item: NetdocItem,
  index: number,
  max: bigint,
): bigint {
  const text = arg(item, index);
  if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) > max) {
    throw itemError(
      "BadArgument",
      document,
      item,
      `"${item.keyword}" needs an integer up to ${max}`,
    );
  }
  return BigInt(text);
}

/**
 * Reads a base64 argument (padding optional) that must decode to `length` bytes.
 *
 * @throws {NetdocSyntaxError} `BadArgument`.
 */
export function base64Arg(
  document: NetdocDocument,
  item: NetdocItem,
  index: number,
  length: number,
): Uint8Array {
  const text = arg(item, index);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw itemError("BadArgument", document, item, `"${item.keyword}" has bad base64`, cause);
  }
  if (bytes.length !== length) {
    throw itemError(
      "BadArgument",
      document,
      item,
      `"${item.keyword}" needs ${length} bytes of base64, got ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * Reads a curve25519 public key: 43 (unpadded) or 44 (padded) base64
 * characters giving 32 bytes (tor `curve25519_public_from_base64`).
 *
 * @throws {NetdocSyntaxError} `BadArgument`.
 */
export function curve25519Arg(
  document: NetdocDocument,
  item: NetdocItem,
  index: number,
): Uint8Array {
  const text = arg(item, index);
  if (text.length !== 43 && text.length !== 44) {
    throw itemError(
      "BadArgument",
      document,
      item,
      `"${item.keyword}" needs a curve25519 key of 43 or 44 base64 characters`,
    );
  }
  return base64Arg(document, item, index, 32);
}

/**
 * The object of `item`, which must carry `tag`.
 *
 * @throws {NetdocSyntaxError} `MissingObject` or `WrongObjectType`.
 */
export function objectBody(document: NetdocDocument, item: NetdocItem, tag: string): Uint8Array {
  if (item.object === undefined) {
    throw itemError("MissingObject", document, item, `"${item.keyword}" needs an object`);
  }
  if (item.object.tag !== tag) {
    throw itemError(
      "WrongObjectType",
      document,
      item,
      `"${item.keyword}" has a "${item.object.tag}" object, expected "${tag}"`,
    );
  }
  return item.object.body;
}
