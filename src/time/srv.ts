/**
 * Shared random values (SRV) and the disaster SRV used when a consensus has
 * none.
 *
 * Spec: rend-spec-v3 §2.3 [PUB-SHAREDRANDOM] and §2.3.1 (client behaviour in
 * the absence of shared random values); dir-spec "shared-rand-current-value";
 * tor `hs_common.c: compute_disaster_srv`, `shared_random_client.c`.
 * ```
 * disaster_srv = H("shared-random-disaster" | INT_8(period_length) | INT_8(period_num))
 * ```
 * Note the order: length first, then number (the blinding nonce has the
 * opposite order).
 *
 * @module
 */

import { FixedBytes, fromBase64, toBase64 } from "../bytes/mod.ts";
import { sha3 } from "../crypto/mod.ts";
import type { TimePeriod } from "./time_period.ts";

/** A 32-byte shared random value, as carried by `shared-rand-*-value` consensus lines. */
export class SharedRandomValue extends FixedBytes {
  declare protected readonly role: "SharedRandomValue";

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): SharedRandomValue {
    return new SharedRandomValue(bytes, 32, "shared random value");
  }

  /**
   * From the base64 of a consensus line (44 characters with padding; either padding accepted).
   *
   * @throws {BytesError} `BadBase64` when it is not base64, `BadLength` unless 32 bytes.
   */
  static fromBase64(text: string): SharedRandomValue {
    return SharedRandomValue.fromBytes(fromBase64(text));
  }

  /** Padded base64, as in the consensus and `GETINFO sr/current`. */
  override toString(): string {
    return toBase64(this.view);
  }
}

/**
 * The disaster SRV for `period` (tor `compute_disaster_srv`), used in place of
 * a missing current or previous SRV, for the time period the SRV is wanted for.
 *
 * @example
 * ```ts
 * import { disasterSrv } from "./srv.ts";
 * import { TimePeriod } from "./time_period.ts";
 * disasterSrv(new TimePeriod(1)).toBytes()[0]; // 0xf8
 * ```
 */
export function disasterSrv(period: TimePeriod): SharedRandomValue {
  let srv = disasterSrvs.get(period.key);
  if (srv === undefined) {
    // H("shared-random-disaster" | INT_8(period_length) | INT_8(period_num))
    srv = SharedRandomValue.fromBytes(
      sha3("shared-random-disaster", period.lengthBytes(), period.numberBytes()),
    );
    if (disasterSrvs.size >= 16) disasterSrvs.delete(disasterSrvs.keys().next().value!);
    disasterSrvs.set(period.key, srv);
  }
  return srv;
}

/**
 * Disaster SRVs already computed, by period (a pure function of it): a consensus without SRVs
 * (a test network's, or the real one after a failed SR protocol run) asks for them on every
 * timeline question, thousands of times per publish pass with many frontends. The values are
 * immutable, so sharing them is safe.
 */
const disasterSrvs = new Map<string, SharedRandomValue>();
