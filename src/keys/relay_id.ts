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

import { BytesError, FixedBytes, fromBase64, toBase64NoPad } from "../bytes/mod.ts";
import { KeyError } from "./errors.ts";

/** `KP_relayid_ed`: a relay's 32-byte ed25519 identity. */
export class RelayEd25519Id extends FixedBytes {
  declare protected readonly role: "RelayEd25519Id";

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): RelayEd25519Id {
    return new RelayEd25519Id(bytes, 32, "relay ed25519 identity");
  }

  /**
   * From base64 as in a microdescriptor's `id ed25519` line (43 characters
   * without padding; padded input is accepted too).
   *
   * @throws {KeyError} `BadRelayId` when it is not base64 of 32 bytes.
   */
  static fromBase64(text: string): RelayEd25519Id {
    try {
      return RelayEd25519Id.fromBytes(fromBase64(text));
    } catch (cause) {
      if (!(cause instanceof BytesError)) throw cause;
      throw new KeyError(
        "BadRelayId",
        `Cannot use relay ed25519 identity "${text}": not base64 of 32 bytes`,
        { cause },
      );
    }
  }

  /** Base64 without padding, as in microdescriptors. */
  override toString(): string {
    return toBase64NoPad(this.view);
  }
}
