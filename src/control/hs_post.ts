/**
 * HSPOST: hand tor a descriptor to upload to one HSDir.
 *
 * Spec: control-spec §3.29 HSPOST; tor `control_cmd.c: handle_control_hspost`,
 * `hs_control.c: hs_control_hspost_command` (tor 0.4.9 never answers an HSPOST without
 * `HSADDRESS=`, and without `SERVER=` picks HSDirs for `hs_get_time_period_num(0)`, the wrong
 * ring for the next descriptor); tor `feature/dirclient/dirclient.c:
 * handle_response_upload_hsdesc` (HTTP 200 → `HS_DESC UPLOADED`, 400 → `HS_DESC FAILED …
 * REASON=UPLOAD_REJECTED`).
 *
 * Role: used by the balancer's publisher. Exactly one HSDir per post, always with `HSADDRESS=`:
 * one unknown HSDir then fails only its own upload (tor answers 552 for the whole command), and
 * the result can be matched to the HSDir (OnionBalance tpo#38, DonnchaC#66). Tor only checks the
 * descriptor's outer layer and signature (554 if they are bad); it uploads asynchronously.
 *
 * @module
 */

import { normalizeFingerprint, normalizeOnionAddress } from "./_hs_args.ts";
import { type HsClient, sendAndWaitForEvents } from "./_event_wait.ts";
import { ControlTimeoutError } from "./errors.ts";

/** Options of {@link hsPost}. */
export interface HsPostOptions {
  /** The service's address (with or without `.onion`), sent as `HSADDRESS=`. */
  address: string;
  /** The HSDir to upload to: fingerprint, `$FP` or `$FP~nick`. */
  hsDir: string;
  /** Wait for tor's `HS_DESC UPLOADED` / `FAILED` event for this HSDir. Default false. */
  awaitUpload?: boolean;
  /** Deadline in ms: of the command, or with `awaitUpload` of the whole upload (default 120 000). */
  timeoutMs?: number;
  /** Cancels the post or the wait. */
  signal?: AbortSignal;
}

/**
 * What {@link hsPost} resolves with: `accepted` (tor took the descriptor; `awaitUpload` off),
 * `uploaded` (the HSDir answered 200), or `failed` with tor's `REASON=` (e.g. `UPLOAD_REJECTED`).
 */
export type HsPostResult =
  | { readonly hsDir: string; readonly status: "accepted" | "uploaded" }
  | { readonly hsDir: string; readonly status: "failed"; readonly reason: string };

/** Default wait for the upload outcome. */
export const HSPOST_UPLOAD_TIMEOUT_MS = 120_000;

/**
 * Posts `descriptor` to one HSDir through tor.
 *
 * @param client The control client.
 * @param descriptor The signed descriptor text (LF or CRLF line ends; dot-stuffed on the wire).
 * @param options Address, HSDir, whether to wait for the upload, deadline, cancellation.
 * @returns The result for that HSDir.
 * @throws {RangeError} If the address or HSDir is malformed.
 * @throws {ControlOperationFailed} 552 if tor does not know the HSDir, 554 for an invalid
 *   descriptor, 512 for a malformed address.
 * @throws {ControlTimeoutError} If tor (or, with `awaitUpload`, the HSDir) does not answer in time.
 * @throws {ControlSocketClosed} If the connection is lost first.
 *
 * @example
 * ```ts ignore
 * const result = await hsPost(client, descriptorText, {
 *   address: "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid",
 *   hsDir: "$0123456789ABCDEF0123456789ABCDEF01234567~relay",
 *   awaitUpload: true,
 * });
 * ```
 */
export async function hsPost(
  client: HsClient,
  descriptor: string,
  options: HsPostOptions,
): Promise<HsPostResult> {
  const address = normalizeOnionAddress(options.address);
  const hsDir = normalizeFingerprint(options.hsDir);
  const command = `+HSPOST SERVER=${hsDir} HSADDRESS=${address}`;
  if (!options.awaitUpload) {
    await client.request(command, {
      data: descriptor,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { hsDir, status: "accepted" };
  }
  const timeoutMs = options.timeoutMs ?? HSPOST_UPLOAD_TIMEOUT_MS;
  return await sendAndWaitForEvents<HsPostResult>(client, {
    eventTypes: ["HS_DESC"],
    timeoutMs,
    signal: options.signal,
    what: `the upload of ${address} to ${hsDir}`,
    send: (signal) => client.request(command, { data: descriptor, signal }),
    onTimeout: () =>
      new ControlTimeoutError(
        `No upload result for ${address} from HSDir ${hsDir} within ${timeoutMs} ms`,
        timeoutMs,
      ),
    onEvent: (event, finish) => {
      if (event.type !== "HS_DESC" || event.hsDirFingerprint !== hsDir) return;
      if (event.address !== undefined && event.address !== address) return;
      if (event.action === "UPLOADED") finish({ hsDir, status: "uploaded" });
      else if (event.action === "FAILED") {
        finish({ hsDir, status: "failed", reason: event.reason ?? "UNKNOWN" });
      }
    },
  });
}
