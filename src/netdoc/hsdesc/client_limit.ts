/**
 * How many authorized clients a frontend descriptor can carry beside a full set of
 * introduction points and still stay below the HSDirs' size limit.
 *
 * Spec: rend-spec-v3 §2.5.1.1 (the first layer is padded with NULs to a multiple of 10 000
 * bytes), §2.5.1.2 [HS-DESC-FIRST-LAYER] (`auth-client` lines, fakes "to make the number of
 * clients a multiple of 16"), §1.9.1 [CLIENT-AUTH] — https://spec.torproject.org/rend-spec/;
 * tor `hs_service.c: build_service_desc_superencrypted` (`HS_DESC_AUTH_CLIENT_MULTIPLE`),
 * `hs_descriptor.c: build_plaintext_padding` (`HS_DESC_SUPERENC_PLAINTEXT_PAD_MULTIPLE`),
 * `hs_cache.c` (`HSV3MaxDescriptorSize`, default 50 000; a descriptor of that size or more is
 * refused).
 *
 * Role: pure constants and arithmetic. The builder enforces the size itself
 * (`HsDescTooLargeError`); callers check a configured client list against
 * {@link MAX_AUTHORIZED_CLIENTS} before they build, so the error names the client count
 * rather than a size.
 *
 * @module
 */

/** `HS_DESC_AUTH_CLIENT_MULTIPLE`: tor pads the `auth-client` lines to a multiple of this. */
const AUTH_CLIENT_MULTIPLE = 16;

/**
 * The most authorized clients a frontend descriptor holds with 20 introduction points and
 * stays below 50 000 bytes.
 *
 * Computed with `buildHsDesc()` for the worst introduction point a tor 0.4.9 backend
 * publishes: link specifiers IPv4 + legacy RSA id + ed25519 id + IPv6, `onion-key ntor`, the
 * `auth-key` (type 09) and `enc-key-cert` (type 0B) certificates with their signing-key
 * extension, `enc-key ntor`; and the second layer's `create2-formats 2` and
 * `flow-control 1-2 31`. Twenty of these make a 15 438-byte second layer. The first layer is
 * 21 117 bytes plus 70 bytes per `auth-client` line, and is padded with NULs to a multiple of
 * 10 000 before encryption, so the descriptor size is a step function of the line count:
 *
 * | `auth-client` lines | first layer | padded | descriptor |
 * | --- | --- | --- | --- |
 * | 16 … 112 | 22 237 … 28 957 | 30 000 | 41 182 bytes |
 * | 128 … 256 | 30 077 … 39 037 | 40 000 | 54 727 bytes (refused) |
 *
 * 126 lines would still pad to 30 000, but tor writes a multiple of 16 lines
 * ({@link authClientLines}), so 112 is the limit; it leaves 1 043 bytes of the padded layer
 * unused. With fewer introduction points more clients fit, but a frontend's intro points
 * come and go with its backends, so the limit holds for the full set.
 */
export const MAX_AUTHORIZED_CLIENTS = 112;

/**
 * The number of `auth-client` lines a descriptor with `clients` authorized clients has: tor
 * adds fake lines up to a positive multiple of 16 (`build_service_desc_superencrypted`), so
 * a descriptor without client authorization has 16 fake lines too.
 *
 * @param clients How many authorized clients (a non-negative integer).
 * @returns `max(1, ceil(clients / 16)) × 16`.
 * @throws {RangeError} When `clients` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { authClientLines } from "./client_limit.ts";
 * authClientLines(0); // 16
 * authClientLines(17); // 32
 * ```
 */
export function authClientLines(clients: number): number {
  if (!Number.isSafeInteger(clients) || clients < 0) {
    throw new RangeError(
      `Cannot count auth-client lines: "${clients}" is not a non-negative integer`,
    );
  }
  return Math.max(1, Math.ceil(clients / AUTH_CLIENT_MULTIPLE)) * AUTH_CLIENT_MULTIPLE;
}
