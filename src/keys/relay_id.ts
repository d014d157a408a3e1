/**
 * A relay's ed25519 identity (`KP_relayid_ed`), the `node_identity` of the
 * HSDir hash ring.
 *
 * Spec: rend-spec-v3 [WHERE-HSDESC] ("node_identity is the ed25519 identity
 * key of the node"); dir-spec §3.3 (microdescriptor `id ed25519`, base64
 * without padding); tor `hs_common.c: node_has_hsdir_index`. Like arti's
 * `Ed25519Identity`: only an identifier, never verified as a point (the ring
 * only hashes it).
 *
 * Role: the nominal type that `src/netdoc/` produces and `src/hashring/` hashes.
 *
 * @module
 */

import { bytesEqual, BytesError, fromBase64, toBase64NoPad } from "../bytes/mod.ts";
import { KeyError } from "./errors.ts";

/** `KP_relayid_ed`: a relay's 32-byte ed25519 identity. */
export class RelayEd25519Id {
  readonly #bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** @throws {KeyError} `BadRelayId` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): RelayEd25519Id {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
      throw new KeyError(
        "BadRelayId",
        `Cannot use relay ed25519 identity: expected 32 bytes, got ${bytes?.length}`,
      );
    }
    return new RelayEd25519Id(bytes.slice());
  }

  /**
   * From base64 as in a microdescriptor's `id ed25519` line (43 characters
   * without padding; padded input is accepted too).
   *
   * @throws {KeyError} `BadRelayId` when it is not base64 of 32 bytes.
   */
  static fromBase64(text: string): RelayEd25519Id {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(text);
    } catch (cause) {
      if (!(cause instanceof BytesError)) throw cause;
      throw new KeyError("BadRelayId", `Cannot use relay ed25519 identity "${text}": not base64`, {
        cause,
      });
    }
    return RelayEd25519Id.fromBytes(bytes);
  }

  /** A copy of the 32 bytes. */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Base64 without padding, as in microdescriptors. */
  toString(): string {
    return toBase64NoPad(this.#bytes);
  }

  /** Whether both hold the same identity. */
  equals(other: RelayEd25519Id): boolean {
    return bytesEqual(this.#bytes, other.#bytes);
  }
}
