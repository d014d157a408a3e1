/**
 * The consensus parameters that shape the HSDir hash ring, with tor's
 * defaults and ranges.
 *
 * Spec: rend-spec-v3 [WHERE-HSDESC]; param-spec; tor `hs_common.c:
 * hs_get_hsdir_n_replicas, hs_get_hsdir_spread_store,
 * hs_get_hsdir_spread_fetch`.
 *
 * | param | default | range |
 * | --- | --- | --- |
 * | `hsdir_n_replicas` | 2 | 1–16 |
 * | `hsdir_spread_store` | 4 | 1–128 |
 * | `hsdir_spread_fetch` | 3 | 1–128 |
 *
 * Out-of-range values are clamped, as tor's `networkstatus_get_param` does.
 * (OnionBalance 0.2.x hard-codes 2 and 4 and ignores the consensus.)
 *
 * @module
 */

import { consensusParam, type ConsensusParamSpec } from "../time/mod.ts";

/** `hsdir_n_replicas`. */
export const HSDIR_N_REPLICAS: ConsensusParamSpec = {
  name: "hsdir_n_replicas",
  default: 2,
  min: 1,
  max: 16,
};

/** `hsdir_spread_store` (the default was 3 before tor 0.3.2.8-rc). */
export const HSDIR_SPREAD_STORE: ConsensusParamSpec = {
  name: "hsdir_spread_store",
  default: 4,
  min: 1,
  max: 128,
};

/** `hsdir_spread_fetch`. */
export const HSDIR_SPREAD_FETCH: ConsensusParamSpec = {
  name: "hsdir_spread_fetch",
  default: 3,
  min: 1,
  max: 128,
};

/** The ring's shape for one consensus. */
export interface HsDirParams {
  /** Replicas per descriptor. */
  readonly nReplicas: number;
  /** HSDirs per replica when uploading. */
  readonly spreadStore: number;
  /** HSDirs per replica a client chooses from when fetching. */
  readonly spreadFetch: number;
}

/**
 * The ring parameters of a consensus `params` line (tor's defaults when absent).
 *
 * @example
 * ```ts
 * import { hsDirParams } from "./params.ts";
 * hsDirParams(new Map([["hsdir_spread_store", 3]])); // { nReplicas: 2, spreadStore: 3, spreadFetch: 3 }
 * ```
 */
export function hsDirParams(params?: ReadonlyMap<string, number>): HsDirParams {
  return {
    nReplicas: consensusParam(params, HSDIR_N_REPLICAS),
    spreadStore: consensusParam(params, HSDIR_SPREAD_STORE),
    spreadFetch: consensusParam(params, HSDIR_SPREAD_FETCH),
  };
}
