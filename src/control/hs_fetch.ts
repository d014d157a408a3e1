/**
 * HSFETCH: ask tor to fetch an onion service's descriptor from HSDirs, and collect the result.
 *
 * Spec: control-spec §3.26 HSFETCH, §4.1.25 HS_DESC, §4.1.26 HS_DESC_CONTENT; tor
 * `hs_control.c: hs_control_hsfetch_command`; tor `feature/hs/hs_client.c` (for each HSDir
 * contacted, tor sends `HS_DESC REQUESTED`, then `HS_DESC RECEIVED` or `HS_DESC FAILED`, then
 * `HS_DESC_CONTENT`, empty after a failure).
 *
 * Role: used by the balancer to read each backend's descriptor. It subscribes to HS_DESC and
 * HS_DESC_CONTENT *before* sending HSFETCH and matches events by address and HSDir (stem
 * `get_hidden_service_descriptor`). The descriptor it returns is the HSDir's raw text, not yet
 * parsed or verified (that is `src/netdoc/`'s job).
 *
 * @module
 */

import { normalizeFingerprint, normalizeOnionAddress } from "./_hs_args.ts";
import { type HsClient, sendAndWaitForEvents } from "./_event_wait.ts";
import { ControlTimeoutError } from "./errors.ts";

/** Options of {@link hsFetch}. */
export interface HsFetchOptions {
  /** Fetch from each of these HSDirs (fingerprints, `$FP` or `$FP~nick`); default: tor picks one. */
  servers?: readonly string[];
  /** How long to wait for the outcome, in ms. Default 60 000. */
  timeoutMs?: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/** The result from one HSDir. `reason` is tor's `REASON=`, or `TIMEOUT` when the HSDir never answered. */
export type HsFetchOutcome =
  | {
    readonly hsDir: string;
    readonly ok: true;
    /** The descriptor text as the HSDir served it (LF line ends), unverified. */
    readonly descriptor: string;
    /** The blinded key (unpadded base64) it was fetched under. */
    readonly descriptorId: string;
  }
  | { readonly hsDir: string; readonly ok: false; readonly reason: string };

/** What {@link hsFetch} resolves with. */
export interface HsFetchResult {
  /** The address, lower case, without `.onion`. */
  readonly address: string;
  /** One outcome per HSDir asked (in the order given, or the one tor picked). */
  readonly outcomes: readonly HsFetchOutcome[];
}

/** Default wait for HSFETCH results. */
export const HSFETCH_TIMEOUT_MS = 60_000;

/**
 * Fetches the descriptor of `address` and waits for the outcome from each HSDir.
 *
 * @param client The control client.
 * @param address A v3 address, with or without `.onion`.
 * @param options HSDirs to ask, deadline, cancellation.
 * @returns The outcomes. At the deadline, HSDirs that did not answer get `reason: "TIMEOUT"`.
 * @throws {RangeError} If `address` or a server is malformed.
 * @throws {ControlOperationFailed} 552 if tor does not know a server, 513 for a bad address.
 * @throws {ControlTimeoutError} If no HSDir answered before the deadline (e.g. tor has no
 *   consensus, in which case tor sends no event at all).
 * @throws {ControlSocketClosed} If the connection is lost while waiting.
 *
 * @example
 * ```ts ignore
 * const { outcomes } = await hsFetch(client, "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid");
 * for (const o of outcomes) if (o.ok) console.log(o.descriptor.length);
 * ```
 */
export async function hsFetch(
  client: HsClient,
  address: string,
  options: HsFetchOptions = {},
): Promise<HsFetchResult> {
  const onion = normalizeOnionAddress(address);
  const servers = [...new Set((options.servers ?? []).map(normalizeFingerprint))];
  const timeoutMs = options.timeoutMs ?? HSFETCH_TIMEOUT_MS;
  const targets = new Set(servers); // Empty: learnt from the first REQUESTED event.
  const outcomes = new Map<string, HsFetchOutcome>();
  const result = (): HsFetchResult => ({
    address: onion,
    outcomes: [...targets].map((hsDir) =>
      outcomes.get(hsDir) ?? { hsDir, ok: false, reason: "TIMEOUT" }
    ),
  });
  const command = ["HSFETCH", onion, ...servers.map((s) => `SERVER=${s}`)].join(" ");
  return await sendAndWaitForEvents<HsFetchResult>(client, {
    eventTypes: ["HS_DESC", "HS_DESC_CONTENT"],
    timeoutMs,
    signal: options.signal,
    what: `the descriptor of ${onion}`,
    send: (signal) => client.request(command, { signal }),
    onTimeout: () =>
      outcomes.size > 0 ? result() : new ControlTimeoutError(
        `No HSDir answered for ${onion} within ${timeoutMs} ms`,
        timeoutMs,
      ),
    onEvent: (event, finish) => {
      if (event.type !== "HS_DESC" && event.type !== "HS_DESC_CONTENT") return;
      if (event.address !== onion) return;
      const hsDir = event.hsDirFingerprint ?? event.hsDir ?? "UNKNOWN";
      if (event.type === "HS_DESC" && event.action === "REQUESTED" && servers.length === 0) {
        if (targets.size === 0) targets.add(hsDir);
      }
      if (!targets.has(hsDir) || outcomes.has(hsDir)) return;
      if (event.type === "HS_DESC_CONTENT") {
        outcomes.set(
          hsDir,
          event.descriptor === undefined
            ? { hsDir, ok: false, reason: "EMPTY" }
            : { hsDir, ok: true, descriptor: event.descriptor, descriptorId: event.descriptorId },
        );
      } else if (event.action === "FAILED" && event.reason !== "UPLOAD_REJECTED") {
        outcomes.set(hsDir, { hsDir, ok: false, reason: event.reason ?? "UNKNOWN" });
      }
      if ([...targets].every((t) => outcomes.has(t))) finish(result());
    },
  });
}
